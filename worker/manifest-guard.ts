// Checks a task against the manifest the site approved: every setting the task carries must be the
// one the site agreed to. Pure; the first departure is named, field by field, so the site's log says
// exactly what the coordinator asked for that it had not agreed to.
import type { DataConfig } from '../shared/config/schema.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { canonicalJson } from '../shared/trust/canonical.js';
import type { Manifest } from '../shared/trust/manifest.js';

export type TaskKind = 'train' | 'evaluate' | 'stats';

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** The data settings without the global statistics (an outcome of federated scaling, not a term). */
function withoutStats(d: DataConfig): unknown {
  if (d.format !== 'csv') return d;
  const { stats, ...rest } = d;
  void stats;
  return rest;
}

/** The first way the task departs from the approved manifest, or undefined when it keeps to it. */
export function departure(m: Manifest, kind: TaskKind, round: number, spec: TaskSpec): string | undefined {
  const c = m.config;
  const federatedScaling = c.data.format === 'csv' && c.data.scaling === 'federated';
  const analysis = c.data.format === 'csv' && c.data.analysis !== undefined;
  if (kind === 'stats') {
    if (!federatedScaling && !analysis)
      return 'column statistics: the manifest does not ask for them (data.scaling is not federated, no data.analysis)';
    if (round !== 0) return `column statistics are asked once, in round 0, not in round ${round}`;
  } else if (!(round >= 1 && round <= c.rounds)) return `round ${round}: the manifest has rounds 1 to ${c.rounds}`;
  if (!same(withoutStats(spec.data), withoutStats(c.data))) return 'data: the settings differ from the manifest';
  if (spec.data.format === 'csv' && spec.data.stats !== undefined) {
    const given = c.data.format === 'csv' ? c.data.stats : undefined;
    if (given ? !same(spec.data.stats, given) : !federatedScaling)
      return 'data.stats: column statistics the manifest does not provide for';
  }
  if (!same(spec.model, c.model)) return 'model: differs from the manifest';
  // What the site keeps for itself is a term: a task without it would have the head leave.
  if (!same(spec.personalization ?? null, c.personalization ?? null))
    return `personalization: ${spec.personalization?.method ?? 'none'}, the manifest says ${c.personalization?.method ?? 'none'}`;
  // A round is drawn from at least clients.min sites (async mode hands out single tasks).
  if (kind === 'train' && c.mode !== 'async' && spec.roundSites < c.clients.min)
    return `round sites: ${spec.roundSites}, the manifest needs at least ${c.clients.min}`;
  if (spec.seed !== c.seed) return `seed: ${spec.seed}, the manifest says ${c.seed}`;
  if (spec.rounds !== c.rounds) return `rounds: ${spec.rounds}, the manifest says ${c.rounds}`;
  const secure = c.secagg.mode !== 'off';
  if (spec.secure !== secure)
    return `secure aggregation: ${spec.secure ? 'on' : 'off'}, the manifest says ${c.secagg.mode}`;
  if (spec.dpClip !== c.dp?.clip) return `DP clip: ${spec.dpClip ?? 'none'}, the manifest says ${c.dp?.clip ?? 'none'}`;
  if (spec.dpNoiseMultiplier !== (c.dp?.noise ?? 0))
    return `DP noise multiplier: ${spec.dpNoiseMultiplier}, the manifest says ${c.dp?.noise ?? 0}`;
  const colluding = c.dp ? c.secagg.colludingSites : 0;
  if (spec.colludingSites !== colluding)
    return `colluding sites: ${spec.colludingSites}, the manifest says ${colluding}`;
  // FedProx's mu is the one training setting a strategy sets per round; it comes from the manifest too.
  const mu = c.strategy.name === 'fedprox' ? c.strategy.mu : c.train.proximalMu;
  const { proximalMu, ...train } = spec.train;
  const { proximalMu: ignored, ...agreed } = c.train;
  void ignored;
  if (proximalMu !== mu) return `train.proximalMu: ${proximalMu}, the manifest gives ${mu}`;
  for (const k of Object.keys({ ...train, ...agreed }) as (keyof typeof train)[])
    if (!same(train[k], agreed[k]))
      return `train.${k}: ${JSON.stringify(train[k])}, the manifest says ${JSON.stringify(agreed[k])}`;
  return undefined;
}
