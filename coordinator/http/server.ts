// The coordinator's HTTP endpoint: Prometheus /metrics, /healthz, the status page on / and a page per
// experiment on /experiments/<id> (with its report.json and exported model to download).
import fs from 'node:fs';
import http from 'node:http';
import type { CoordinatorMetrics } from '../metrics/counters.js';

/** What the status pages read; each returns undefined for an experiment that does not exist. */
export interface StatusPages {
  /** The overview: every experiment and the connected workers. */
  dashboard(): Promise<string>;
  /** One experiment's page (charts, participation, events). */
  experiment(id: string): Promise<string | undefined>;
  /** One experiment's report, as JSON. */
  report(id: string): Promise<string | undefined>;
  /** A file of the experiment's exported model (model.json or weights.bin), if it was exported. */
  modelFile(id: string, name: 'model.json' | 'weights.bin'): string | undefined;
}

const ID = '([A-Za-z0-9_-]+)'; // experiment ids only: no dots or slashes, so no way out of the store

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** Serves GET /metrics, /healthz and, given `pages`, the status pages; port 0 picks a free one. */
export function serveHttp(
  metrics: CoordinatorMetrics,
  host: string,
  port: number,
  pages?: StatusPages,
): Promise<http.Server> {
  const notFound = (res: http.ServerResponse) => send(res, 404, 'text/plain', 'not found\n');
  /** A page or document that may not exist: 200 with `type`, 404 when absent, 500 when reading failed. */
  const respond = (res: http.ServerResponse, type: string, body: Promise<string | undefined>) =>
    body.then(
      (b) => (b === undefined ? notFound(res) : send(res, 200, type, b)),
      (e: unknown) => send(res, 500, 'text/plain', `${res.req.url} failed: ${String(e)}\n`),
    );
  const HTML = 'text/html; charset=utf-8';
  const model = (res: http.ServerResponse, id: string, name: 'model.json' | 'weights.bin') => {
    const file = pages?.modelFile(id, name);
    if (!file || !fs.existsSync(file)) return notFound(res);
    send(res, 200, name === 'model.json' ? 'application/json' : 'application/octet-stream', fs.readFileSync(file));
  };
  // The status pages, matched in order; each gets the captured experiment id (and file name).
  const routes: [RegExp, (res: http.ServerResponse, m: RegExpExecArray, p: StatusPages) => void][] = [
    [/^\/$/, (res, _m, p) => void respond(res, HTML, p.dashboard())],
    [new RegExp(`^/experiments/${ID}$`), (res, m, p) => void respond(res, HTML, p.experiment(m[1]!))],
    [
      new RegExp(`^/experiments/${ID}/report\\.json$`),
      (res, m, p) => void respond(res, 'application/json', p.report(m[1]!)),
    ],
    [
      new RegExp(`^/experiments/${ID}/model/(model\\.json|weights\\.bin)$`),
      (res, m) => model(res, m[1]!, m[2] as 'model.json' | 'weights.bin'),
    ],
  ];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (url === '/metrics') {
      void metrics.registry.metrics().then((body) => send(res, 200, metrics.registry.contentType, body));
      return;
    }
    if (url === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (pages)
      for (const [re, handle] of routes) {
        const m = re.exec(url);
        if (m) return handle(res, m, pages);
      }
    notFound(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
