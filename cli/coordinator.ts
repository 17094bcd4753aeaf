// `accord coordinator`: runs the gRPC server for workers and the BullMQ round processors.

import fs from 'node:fs';
import type { Command } from 'commander';
import { Coordinator, insecureRefusal, isLoopback } from '../coordinator/server.js';
import { TokenBook } from '../coordinator/sessions/auth.js';
import { ConfigError } from '../shared/errors/index.js';
import type { BackendName } from '../shared/models/backend.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { Roster } from '../shared/trust/roster.js';
import { action, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';
import { durationMs } from './duration.js';

export function register(program: Command): void {
  program
    .command('coordinator')
    .description(DESCRIPTIONS['coordinator'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option(
      '--grpc <host:port>',
      'address workers dial (a non-loopback address needs TLS, or --insecure)',
      '127.0.0.1:7070',
    )
    .option('--max-site-rows <n>', 'rows a site may declare; bounds its FedAvg weight', '10000000')
    .option('--insecure', 'serve workers without TLS on a non-loopback address (tokens cross the network in clear)')
    .option('--store <dir>', 'checkpoints, exported models and reports', './accord-store')
    .option('--tokens <file>', 'YAML/JSON mapping site -> token, one token per site (required)')
    .option('--instance <name>', 'name of this process in the worker registry')
    .option(
      '--roster <file>',
      "the federation's roster (site -> identity key): its hash goes into every experiment's manifest, which the sites approve",
    )
    .option(
      '--backend <name>',
      'TF.js backend: auto (tensorflow > webgpu > wasm > cpu), tensorflow, webgpu, wasm, cpu',
      'auto',
    )
    .option('--http <host:port>', 'serve the status page (GET /), Prometheus metrics (GET /metrics) and /healthz')
    .option('--tls-cert <file>', 'TLS certificate (PEM) for the worker-facing server')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-client-ca <file>', 'require worker certificates signed by this CA (mTLS)')
    .option(
      '--lock-ms <ms>',
      'job lock: how long a hung coordinator keeps its jobs (a dead one loses them at once)',
      '30000',
    )
    .option(
      '--keep-jobs <duration>',
      "retention: finished jobs of running experiments stay this long (an ended experiment's go; its record, rounds and events, what its report needs, stay)",
      '1h',
    )
    .option(
      '--heartbeat-ms <ms>',
      'how often sites send a heartbeat; a site silent for 3 intervals (at least 30 s) is dropped',
      '2000',
    )
    .action(
      action(
        async (o: {
          redis: string;
          redisCluster?: string;
          grpc: string;
          store: string;
          tokens?: string;
          roster?: string;
          instance?: string;
          backend: string;
          lockMs: string;
          heartbeatMs: string;
          tlsCert?: string;
          tlsKey?: string;
          tlsClientCa?: string;
          http?: string;
          insecure?: boolean;
          maxSiteRows: string;
          keepJobs: string;
        }) => {
          const maxDeclaredRows = Number(o.maxSiteRows);
          if (!Number.isSafeInteger(maxDeclaredRows) || maxDeclaredRows < 1)
            throw new ConfigError(`--max-site-rows: expected a positive integer, got "${o.maxSiteRows}"`);
          if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new ConfigError('--tls-cert and --tls-key go together');
          const read = (f: string, flag: string) => {
            try {
              return fs.readFileSync(f);
            } catch (e) {
              throw new ConfigError(
                `${flag}: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
              );
            }
          };
          const tls = o.tlsCert
            ? {
                cert: read(o.tlsCert, '--tls-cert'),
                key: read(o.tlsKey!, '--tls-key'),
                ...(o.tlsClientCa ? { clientCa: read(o.tlsClientCa, '--tls-client-ca') } : {}),
              }
            : undefined;
          const lockDurationMs = Number(o.lockMs);
          if (!Number.isInteger(lockDurationMs) || lockDurationMs < 1000)
            throw new ConfigError(`--lock-ms: expected an integer >= 1000, got "${o.lockMs}"`);
          const keepJobsMs = durationMs(o.keepJobs, '--keep-jobs');
          const heartbeatMs = Number(o.heartbeatMs);
          if (!Number.isInteger(heartbeatMs) || heartbeatMs < 100)
            throw new ConfigError(`--heartbeat-ms: expected an integer >= 100, got "${o.heartbeatMs}"`);
          // A listen address is HOST:PORT (an IPv6 host in brackets): `localhost` alone would listen on
          // grpc-js's default port 443, and a word for a port got the TLS message.
          for (const [flag, value] of [
            ['--grpc', o.grpc],
            ['--http', o.http],
          ] as const)
            if (value !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value))
              throw new ConfigError(`${flag}: expected HOST:PORT, got "${value}"`);
          // Transport first: a plaintext server on the network is refused whatever else is wrong.
          if (!o.tlsCert && !o.insecure && !isLoopback(o.grpc)) insecureRefusal(o.grpc);
          if (!o.tokens)
            throw new ConfigError('--tokens FILE is required: a YAML mapping of each site to its own token');
          const tokens = TokenBook.fromFile(o.tokens);
          const c = new Coordinator({
            redisUrl: redisTargetOf(o, DEFAULT_REDIS_URL),
            grpcAddress: o.grpc,
            storeDir: o.store,
            tokens,
            ...(o.instance ? { instance: o.instance } : {}),
            backend: o.backend as BackendName | 'auto',
            lockDurationMs,
            keepJobsMs,
            heartbeatMs,
            ...(tls ? { tls } : {}),
            ...(o.http ? { httpAddress: o.http } : {}),
            insecure: Boolean(o.insecure),
            maxDeclaredRows,
            ...(o.roster ? { roster: Roster.load(o.roster) } : {}),
          });
          await c.start();
          process.stdout.write(`coordinator ${c.instance} listening on port ${c.port}\n`);
          // Exit within 5 s whatever Redis does; a second signal exits at once.
          let stopping = false;
          const shutdown = () => {
            if (stopping) process.exit(1);
            stopping = true;
            void c.stop(4000).finally(() => process.exit(0));
          };
          process.on('SIGINT', shutdown);
          process.on('SIGTERM', shutdown);
        },
      ),
    );
}
