// Prometheus metrics of one coordinator process (prom-client); http/server.ts serves them on /metrics.
import client from 'prom-client';

export class CoordinatorMetrics {
  readonly registry = new client.Registry();
  /** Set by the owner: how many sessions are open right now (read at scrape time). */
  countWorkers: () => number = () => 0;
  readonly connectedWorkers: client.Gauge = new client.Gauge({
    name: 'accord_connected_workers',
    help: 'Worker sessions open on this coordinator',
    registers: [this.registry],
    collect: (): void => this.connectedWorkers.set(this.countWorkers()),
  });
  readonly tasks = new client.Counter({
    name: 'accord_tasks_total',
    help: 'Tasks finished, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly bytes = new client.Counter({
    name: 'accord_bytes_total',
    help: 'Tensor bytes moved, by direction',
    labelNames: ['direction'],
    registers: [this.registry],
  });
  readonly rounds = new client.Counter({
    name: 'accord_rounds_committed_total',
    help: 'Rounds committed',
    registers: [this.registry],
  });
  readonly roundSeconds = new client.Histogram({
    name: 'accord_round_duration_seconds',
    help: 'Wall time of committed rounds',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  /** Set by the owner: jobs in the rounds queue by state (read at scrape time). */
  countJobs: () => Promise<Record<string, number>> = async () => ({});
  readonly queueDepth: client.Gauge = new client.Gauge({
    name: 'accord_round_jobs',
    help: 'Round steps in the rounds queue, by state (waiting, active, delayed, waiting-children)',
    labelNames: ['state'],
    registers: [this.registry],
    collect: async (): Promise<void> => {
      for (const [state, n] of Object.entries(await this.countJobs().catch(() => ({}))))
        this.queueDepth.set({ state }, n);
    },
  });

  constructor() {
    // The standard Node.js names, so stock dashboards work, less the three gauges named *_total, which
    // Prometheus reserves for counters (promtool refuses them); nodejs_active_resources (by type) stays.
    client.collectDefaultMetrics({ register: this.registry });
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
  }
}
