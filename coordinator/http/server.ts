// The coordinator's HTTP endpoint: Prometheus /metrics, /healthz, and the status page on /.
import http from 'node:http';
import type { CoordinatorMetrics } from '../metrics/counters';

/** Serves GET /metrics, /healthz and, given `dashboard`, an HTML status page on /; port 0 picks a free one. */
export function serveHttp(
  metrics: CoordinatorMetrics,
  host: string,
  port: number,
  dashboard?: () => Promise<string>,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/' && dashboard) {
      dashboard().then(
        (html) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(html);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`dashboard failed: ${String(e)}\n`);
        },
      );
    } else if (req.url === '/metrics') {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      });
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
