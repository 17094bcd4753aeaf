// The coordinator process: gRPC server for workers, and the BullMQ processors that run experiments
// and rounds. All durable state lives in Redis and in the store directory.

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FlowProducer, Queue, type Worker } from 'bullmq';
import { ConfigError } from '../shared/errors/index.js';
import { createLogger, type Logger } from '../shared/log/logger.js';
import type { BackendName } from '../shared/models/backend.js';
import { CHANNEL_OPTIONS, loadProtocol } from '../shared/protocol/load.js';
import { connectRedis, reportOutages } from '../shared/redis-connection.js';
import { bullConnection, type RedisClient, type RedisTarget } from '../shared/redis-target.js';
import { approvalProblem } from '../shared/trust/approval.js';
import type { Roster } from '../shared/trust/roster.js';
import { Adoption } from './adoption.js';
import { ExperimentRecords } from './experiments/records.js';
import { buildReport } from './experiments/report.js';
import { htmlReport } from './experiments/report-html.js';
import { loadDashboard, renderDashboard } from './http/dashboard.js';
import { serveHttp } from './http/server.js';
import { coordinatorConnectionName, instanceConnectedCheck } from './liveness.js';
import { CoordinatorMetrics } from './metrics/counters.js';
import { startProcessors } from './processors.js';
import { prune } from './prune.js';
import { QUEUE_ROUNDS } from './queues/names.js';
import type { RoundContext } from './rounds/context.js';
import { EXPERIMENT_REFUSALS, siteRefused } from './rounds/refusals.js';
import { sweepStore } from './rounds/sweep.js';
import { serveApp } from './sessions/app-server.js';
import type { TokenBook } from './sessions/auth.js';
import { SessionHub } from './sessions/hub.js';
import { ManifestOffers } from './sessions/manifest-offers.js';
import { WorkerRegistry } from './sessions/registry.js';
import type { SiteRecord } from './sessions/site-record.js';
import { Checkpoints } from './store/checkpoints.js';
import { StorePaths } from './store/paths.js';
import { WeightsCache } from './store/weights-cache.js';

export interface CoordinatorOptions {
  /**
   * The Redis that BullMQ and Accord's records use: redis://HOST:PORT, or a Redis Cluster's seed nodes
   * ({ cluster: 'HOST:PORT,...' }; shared/redis-target.ts).
   */
  redisUrl: RedisTarget;
  /** HOST:PORT for the worker-facing gRPC server; port 0 picks a free one. */
  grpcAddress: string;
  /** Directory for checkpoints, spooled updates, exported models and reports. */
  storeDir: string;
  tokens: TokenBook;
  /** Name of this process in the worker registry. Default: hostname-pid. */
  instance?: string;
  /** Heartbeat interval asked of workers. Default 2000 ms. */
  heartbeatMs?: number;
  /** How often a waiting round re-checks the registry. Default 500 ms. */
  selectPollMs?: number;
  backend?: BackendName | 'auto';
  /** How soon jobs of a dead coordinator are taken over. Default 30000 ms. */
  lockDurationMs?: number;
  /**
   * Retention: finished jobs of running experiments stay this long; an ended experiment's jobs go
   * (within PRUNE_EVERY_MS, and when the coordinator stops), while its record, rounds and events,
   * what its report is built from, stay. Default 3,600,000 (one hour).
   */
  keepJobsMs?: number;
  /** HOST:PORT for Prometheus metrics (GET /metrics, /healthz); off when absent. */
  httpAddress?: string;
  /** TLS for the worker-facing server (PEM); with `clientCa`, workers must present a certificate it signed (mTLS). */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Rows a site may declare (its FedAvg weight is bounded by them). Default 10,000,000. */
  maxDeclaredRows?: number;
  /**
   * Serve workers without TLS on a non-loopback address (tokens and updates then cross the network in
   * clear). Refused unless set; a warning is logged when it is. Default false.
   */
  insecure?: boolean;
  /**
   * The federation's roster (site -> identity key), as the consortium distributed it. Its hash goes
   * into every experiment's manifest; approvals the sites send are checked against it. Default: none
   * (sites that pin a roster then refuse every experiment).
   */
  roster?: Roster | undefined;
  log?: Logger;
}

/** The refusal to serve workers in clear on the network. */
export function insecureRefusal(address: string): never {
  throw new ConfigError(
    `--grpc ${address}: refusing to serve workers without TLS on a non-loopback address (site tokens and updates would cross the network in clear); give --tls-cert and --tls-key, or --insecure to accept that`,
  );
}

/** Whether `address` (HOST:PORT) only listens on this machine. */
export function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** How often a coordinator removes what retention does not keep. */
const PRUNE_EVERY_MS = 60_000;

export class Coordinator {
  private server?: grpc.Server;
  private workers: Worker[] = [];
  private redis?: RedisClient;
  private bull?: ReturnType<typeof bullConnection>;
  private rounds?: Queue;
  private flows?: FlowProducer;
  private hub?: SessionHub;
  private adoption?: Adoption;
  private offerTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private ctx?: RoundContext;
  port = 0;
  httpPort = 0;
  readonly metrics = new CoordinatorMetrics();
  private http?: import('node:http').Server;
  readonly instance: string;
  readonly log: Logger;

  constructor(private readonly opts: CoordinatorOptions) {
    this.instance = (opts.instance ?? `${os.hostname()}-${process.pid}`).replace(/[^A-Za-z0-9_.-]/g, '_');
    this.log = opts.log ?? createLogger('coordinator');
  }

  async start(): Promise<void> {
    if (!this.opts.tls && !isLoopback(this.opts.grpcAddress)) {
      if (!this.opts.insecure) insecureRefusal(this.opts.grpcAddress);
      this.log.warn(
        { grpc: this.opts.grpcAddress },
        'INSECURE: serving workers without TLS; tokens and updates cross the network in clear',
      );
    }
    // TF.js (most of a start-up) loads when first used (an experiment's initial model, an export, a
    // central evaluation), not before the first listen: a restarted coordinator takes its sites back
    // sooner. A backend asked for by name is checked now, so a wrong one fails the start.
    const loadBackend = async () =>
      (await import('../shared/models/backend.js')).initBackend(this.opts.backend ?? 'auto');
    const named = this.opts.backend && this.opts.backend !== 'auto' ? await loadBackend() : undefined;
    // One clear error if Redis cannot be reached at start; afterwards one line per outage.
    // The connection's name tells other coordinators this process is alive (liveness.ts).
    const connectionName = coordinatorConnectionName(this.instance, randomUUID());
    const redis = await connectRedis(this.opts.redisUrl, this.log, { connectionName });
    this.redis = redis;
    // BullMQ's connection and key prefix (hash-tagged in a cluster).
    const bull = bullConnection(this.opts.redisUrl);
    this.bull = bull;
    const { connection, prefix } = bull;
    const heartbeatMs = this.opts.heartbeatMs ?? 2000;
    const registry = new WorkerRegistry(this.redis, heartbeatMs);
    const stale = await registry.purgeInstance(this.instance);
    if (stale.length)
      this.log.info({ sites: stale }, 'dropped registry entries left by a previous run of this instance');
    const records = new ExperimentRecords(this.redis);
    this.hub = new SessionHub({
      // A site's entry held by a coordinator that died does not keep the site's new worker out.
      holderAlive: instanceConnectedCheck(redis),
      onSiteRecord: (site, record) =>
        void this.keepSiteRecord(records, site, record).catch((e: unknown) =>
          this.log.warn({ site, err: String(e) }, 'could not keep a site record'),
        ),
      onAppRequest: (session, req) =>
        void serveApp(records, req, (msg) => session.send(msg)).catch((e: unknown) =>
          this.log.warn({ site: session.site, err: String(e) }, 'could not serve an app'),
        ),
      instance: this.instance,
      tokens: this.opts.tokens,
      registry,
      heartbeatMs,
      ...(this.opts.maxDeclaredRows !== undefined ? { maxDeclaredRows: this.opts.maxDeclaredRows } : {}),
      log: this.log,
    });
    this.rounds = new Queue(QUEUE_ROUNDS, { connection, ...(prefix ? { prefix } : {}) });
    this.flows = new FlowProducer({ connection, ...(prefix ? { prefix } : {}) });
    // Without a listener BullMQ prints each failed reconnect's stack on stderr.
    reportOutages(this.rounds, this.log, 'queue rounds (producer)');
    reportOutages(this.flows, this.log, 'flows');
    const paths = new StorePaths(path.resolve(this.opts.storeDir));
    const ctx: RoundContext = {
      instance: this.instance,
      redis: this.redis,
      records,
      registry,
      hub: this.hub,
      paths,
      checkpoints: new Checkpoints(paths),
      weights: new WeightsCache(),
      rounds: this.rounds,
      flows: this.flows,
      log: this.log,
      selectPollMs: this.opts.selectPollMs ?? 500,
      metrics: this.metrics,
      roster: this.opts.roster,
    };
    this.ctx = ctx;
    // In the background: a first listen does not wait for the store (recovery time counts).
    void sweepStore(ctx).catch((e: unknown) => this.log.warn({ err: String(e) }, 'store sweep failed'));
    this.metrics.countWorkers = () => this.hub?.list().length ?? 0;
    this.metrics.countJobs = async () =>
      this.rounds ? this.rounds.getJobCounts('waiting', 'active', 'delayed', 'waiting-children') : {};
    if (this.opts.httpAddress) {
      const m = /^(.*):(\d+)$/.exec(this.opts.httpAddress);
      if (!m) throw new ConfigError(`--http: expected HOST:PORT, got "${this.opts.httpAddress}"`);
      const report = async (id: string) => {
        const rec = await ctx.records.get(id);
        return (
          rec &&
          buildReport(
            rec,
            await ctx.records.rounds(id),
            await ctx.records.events(id),
            await ctx.records.trustRecords(id),
          )
        );
      };
      this.http = await serveHttp(this.metrics, m[1]!, Number(m[2]), {
        dashboard: async () => renderDashboard(await loadDashboard(ctx.records, registry)),
        experiment: async (id) => {
          const r = await report(id);
          return r && htmlReport(r, { downloads: true });
        },
        report: async (id) => {
          const r = await report(id);
          return r && JSON.stringify(r, null, 2);
        },
        modelFile: (id, name) => path.join(ctx.paths.modelDir(id), name),
      }).catch((e: Error) => {
        throw new ConfigError(`--http ${this.opts.httpAddress}: cannot listen (${e.message})`);
      });
      this.httpPort = (this.http.address() as import('node:net').AddressInfo).port;
    }
    this.server = new grpc.Server(CHANNEL_OPTIONS);
    this.server.addService(loadProtocol().accord.v1.Federation.service, this.hub.handlers());
    this.port = await new Promise<number>((resolve, reject) =>
      this.server!.bindAsync(this.opts.grpcAddress, this.credentials(), (err, port) =>
        err
          ? reject(new ConfigError(`--grpc ${this.opts.grpcAddress}: cannot listen (${err.message})`))
          : resolve(port),
      ),
    );
    const lockDurationMs = this.opts.lockDurationMs ?? 30_000;
    const stalledIntervalMs = 1000;
    this.workers = startProcessors(ctx, { connection, prefix, lockDurationMs, stalledIntervalMs });
    this.adoption = new Adoption(ctx, {
      connection,
      prefix,
      connectionName,
      workers: () => this.workers,
      lockDurationMs,
      stalledIntervalMs,
    });
    this.adoption.start();
    // Redis keeps what reports need (prune.ts): the same pass as `accord prune`, now and then.
    let pruning = false;
    this.pruneTimer = setInterval(() => {
      if (pruning) return;
      pruning = true;
      void this.prune()
        .catch((e: unknown) => this.log.warn({ err: String(e) }, 'prune failed'))
        .finally(() => {
          pruning = false;
        });
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    if (this.opts.roster) {
      // Sites approve before they are selected: offer running experiments' manifests to the sites here.
      const offers = new ManifestOffers(this.hub, records, this.log);
      let busy = false;
      this.offerTimer = setInterval(
        () => {
          if (busy) return;
          busy = true;
          void offers
            .tick()
            .catch((e: unknown) => this.log.warn({ err: String(e) }, 'manifest offers failed'))
            .finally(() => {
              busy = false;
            });
        },
        Math.min(1000, heartbeatMs),
      );
      this.offerTimer.unref();
    }
    this.log.info(
      {
        instance: this.instance,
        grpc: `${this.opts.grpcAddress.replace(/:\d+$/, '')}:${this.port}`,
        store: paths.root,
        ...(named ? { backend: named.backend } : {}),
      },
      'coordinator started',
    );
  }

  /**
   * Keeps a site's approval or audit head with its experiment, for the report. Only for an experiment
   * that exists and, for approvals, of its manifest; with a roster, only approvals that verify.
   */
  private async keepSiteRecord(records: ExperimentRecords, site: string, r: SiteRecord): Promise<void> {
    const id = r.kind === 'approval' ? r.approval.experimentId : r.experimentId;
    const rec = await records.brief(id);
    if (!rec) return void this.log.warn({ site, experiment: id }, 'site record for an unknown experiment dropped');
    if (r.kind === 'audit-head') return records.putAuditHead(id, site, { ...r.head, receivedAt: Date.now() });
    if (r.kind === 'refusal') {
      const why = `site ${site} reported ${r.code}: ${r.message}`;
      this.log.warn({ site, experiment: id, code: r.code, why: r.message }, 'site refused the experiment');
      // A site's policy refuses every round alike: it takes no part, and the experiment ends now only
      // if the other roster sites cannot reach clients.min (as for a refused task, refusals.ts). Other
      // refusals (another roster, say) only keep that site out. Only a roster site is counted.
      const known = this.opts.roster?.keyOf(site) !== undefined;
      if (EXPERIMENT_REFUSALS.has(r.code) && known && rec.status === 'running' && this.ctx)
        return siteRefused(this.ctx, id, site, why);
      return records.event(id, `${why} (the site takes no part)`);
    }
    const roster = this.opts.roster;
    const problem = roster
      ? approvalProblem(r.approval, roster.keyOf(site), rec.manifestHash)
      : r.approval.manifestHash === rec.manifestHash
        ? undefined
        : 'it is for another manifest';
    if (problem) return void this.log.warn({ site, experiment: id, problem }, 'approval dropped');
    await records.putApproval(id, r.approval);
    this.log.info({ site, experiment: id, how: r.approval.how }, 'site approved the experiment');
  }

  private credentials(): grpc.ServerCredentials {
    const t = this.opts.tls;
    if (!t) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(
      t.clientCa ?? null,
      [{ cert_chain: t.cert, private_key: t.key }],
      Boolean(t.clientCa),
    );
  }

  /**
   * Stops within `deadlineMs` whatever Redis does: new sessions are refused at once, jobs in flight are
   * left to BullMQ's stalled-job recovery (another coordinator, or this one restarted, takes them over).
   */
  /** Removes what retention does not keep (coordinator/prune.ts). */
  private async prune(): Promise<void> {
    if (!this.redis || !this.bull) return;
    const r = await prune(this.redis, this.bull, { olderThanMs: this.opts.keepJobsMs ?? 3_600_000 });
    if (r.jobs || r.instances.length) this.log.info(r, 'pruned finished jobs and gone coordinators');
  }

  async stop(deadlineMs = 4000): Promise<void> {
    clearInterval(this.offerTimer);
    clearInterval(this.pruneTimer);
    this.hub?.closeAll('coordinator shutting down');
    const graceful = (async () => {
      await this.adoption?.stop();
      await Promise.allSettled(this.workers.map((w) => w.close(true)));
      // The last coordinator on this Redis takes its queue and entries with it, and what retention
      // does not keep; with others alive they adopt its queue instead (adoption.ts).
      if (await this.adoption?.leaveIfAlone()) await this.prune().catch(() => undefined);
      await new Promise<void>((resolve) => (this.server ? this.server.tryShutdown(() => resolve()) : resolve()));
      await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
      await Promise.allSettled([this.rounds?.close(), this.flows?.close()]);
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn({ deadlineMs }, 'shutdown deadline reached: closing connections');
        resolve();
      }, deadlineMs);
      timer.unref();
    });
    await Promise.race([graceful, late]);
    clearTimeout(timer);
    this.server?.forceShutdown();
    this.http?.closeAllConnections();
    this.bull?.close();
    this.redis?.disconnect();
  }
}
