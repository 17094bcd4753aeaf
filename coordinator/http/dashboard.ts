// A read-only status page for operators (GET / on the --http address): experiments with their latest
// round, and the workers connected to this federation. Rendered on the server from Redis, refreshed
// every 5 s by the browser; no script, nothing to build.

import { epsilonWithTerms, pct } from '../../shared/format.js';
import { escapeHtml as esc } from '../../shared/html.js';
import type { ExperimentRecord, ExperimentRecords, RoundRecord } from '../experiments/records.js';
import type { WorkerEntry, WorkerRegistry } from '../sessions/registry.js';

export interface DashboardData {
  experiments: { rec: ExperimentRecord; last?: RoundRecord }[];
  workers: WorkerEntry[];
  now: number;
}

export async function loadDashboard(records: ExperimentRecords, registry: WorkerRegistry): Promise<DashboardData> {
  const experiments = await Promise.all(
    (await records.list()).map(async (rec) => {
      const last = await records.lastRound(rec.id);
      return last ? { rec, last } : { rec };
    }),
  );
  return { experiments: experiments.reverse(), workers: await registry.live(), now: Date.now() };
}

const ago = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function renderDashboard(d: DashboardData): string {
  const experiments = d.experiments.map(({ rec, last }) => [
    `<a href="/experiments/${esc(rec.id)}">${esc(rec.id)}</a>`,
    esc(rec.name),
    `<span class="${esc(rec.status)}">${esc(rec.status)}</span>`,
    `${rec.committed} / ${rec.config.rounds}`,
    esc(rec.phase),
    esc(rec.config.strategy.name),
    rec.config.secagg.mode === 'off' ? '-' : esc(rec.config.secagg.mode),
    pct(last?.meanSiteAccuracy),
    last?.central ? pct(last.central.accuracy) : '-',
    last?.privacy ? epsilonWithTerms(last.privacy) : '-',
    esc(rec.error ?? rec.stopped ?? ''),
  ]);
  const workers = d.workers.map((w) => [
    esc(w.site),
    esc(w.instance),
    esc(w.datasets.map((x) => `${x.name} (${x.examples})`).join(', ')),
    esc(w.backend),
    ago(d.now - w.connectedAt),
    ago(d.now - w.lastSeen),
  ]);
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Accord</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.completed{color:#080}.failed{color:#b00}.running{color:#06c}</style></head><body>
<h1>Accord</h1>
<h2>Experiments (${d.experiments.length})</h2>
${table(['id', 'name', 'status', 'rounds', 'phase', 'strategy', 'secure aggregation', 'mean site accuracy', 'central accuracy', 'epsilon', 'note'], experiments)}
<h2>Connected workers (${d.workers.length})</h2>
${table(['site', 'coordinator', 'data sets (examples)', 'backend', 'connected', 'last heartbeat'], workers)}
<p>Metrics for Prometheus: <a href="/metrics">/metrics</a>. This page refreshes every 5 s.</p>
</body></html>
`;
}
