// Simulation partitioners: split one data set among many logical sites. IID, Dirichlet(alpha) over
// labels (Hsu et al. 2019), McMahan et al.'s pathological shards (sort by label, cut into
// shardsPerClient x clients shards, deal them out), and N labels per client (the personalization
// benchmarks' "pathological" setting, e.g. GPFL's 2 labels per client).

import { DataError } from '../errors/index.js';
import { normal, rng, seedOf, shuffleInPlace } from '../random.js';

export interface PartitionSpec {
  /** synthetic: no shared set to split; each site generates its own rows (synthetic.ts). */
  scheme: 'iid' | 'dirichlet' | 'shards' | 'pathological' | 'synthetic';
  clients: number;
  seed: number;
  /** Dirichlet concentration (smaller: more skewed); for synthetic, how much the sites' models differ. */
  alpha?: number | undefined;
  /** synthetic: how much the sites' inputs differ. */
  beta?: number | undefined;
  /** Shards per client (McMahan et al.: 2). */
  shardsPerClient?: number | undefined;
  /** pathological: labels each client holds (default 2). */
  labels?: number | undefined;
}

/**
 * Each client holds `perClient` labels: client c gets labels c*perClient ... (c+1)*perClient - 1, modulo
 * the number of labels (round robin, so every label is held while clients * perClient >= labels), and
 * each label's rows, shuffled, are dealt out evenly among the clients that hold it.
 */
export function pathologicalPartition(
  labels: ArrayLike<number>,
  clients: number,
  perClient: number,
  seed: number,
): number[][] {
  const classes = Math.max(0, ...Array.from(labels)) + 1;
  if (!Number.isInteger(perClient) || perClient < 1 || perClient > classes)
    throw new DataError(`labels per client must be a whole number from 1 to ${classes}, not ${perClient}`);
  const holders = Array.from({ length: classes }, () => [] as number[]);
  for (let c = 0; c < clients; c++) for (let j = 0; j < perClient; j++) holders[(c * perClient + j) % classes]!.push(c);
  const r = rng(seedOf('pathological', seed));
  const out = Array.from({ length: clients }, () => [] as number[]);
  for (let y = 0; y < classes; y++) {
    const rows = shuffleInPlace(
      Array.from({ length: labels.length }, (_, i) => i).filter((i) => labels[i] === y),
      r,
    );
    const who = holders[y]!;
    rows.forEach((row, k) => {
      if (who.length) out[who[k % who.length]!]!.push(row);
    });
  }
  return out.map((l) => l.sort((a, b) => a - b));
}

export function iidPartition(n: number, clients: number, seed: number): number[][] {
  const idx = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rng(seedOf('iid', seed)),
  );
  return Array.from({ length: clients }, (_, c) => idx.filter((_, k) => k % clients === c).sort((a, b) => a - b));
}

export function shardsPartition(
  labels: ArrayLike<number>,
  clients: number,
  shardsPerClient: number,
  seed: number,
): number[][] {
  const n = labels.length;
  const byLabel = Array.from({ length: n }, (_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
  const shards = clients * shardsPerClient;
  const size = Math.floor(n / shards);
  const order = shuffleInPlace(
    Array.from({ length: shards }, (_, i) => i),
    rng(seedOf('shards', seed)),
  );
  return Array.from({ length: clients }, (_, c) =>
    order
      .slice(c * shardsPerClient, (c + 1) * shardsPerClient)
      .flatMap((s) => byLabel.slice(s * size, (s + 1) * size))
      .sort((a, b) => a - b),
  );
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 by the u^(1/a) boost. */
export function gamma(shape: number, r: () => number): number {
  if (shape < 1) return gamma(shape + 1, r) * (1 - r()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(r);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - r();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function dirichletPartition(
  labels: ArrayLike<number>,
  clients: number,
  alpha: number,
  seed: number,
): number[][] {
  const r = rng(seedOf('dirichlet', seed));
  const out: number[][] = Array.from({ length: clients }, () => []);
  const classes = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = classes.get(labels[i]!) ?? [];
    list.push(i);
    classes.set(labels[i]!, list);
  }
  for (const [, idx] of [...classes.entries()].sort((a, b) => a[0] - b[0])) {
    shuffleInPlace(idx, r);
    const g = Array.from({ length: clients }, () => gamma(alpha, r));
    const total = g.reduce((a, b) => a + b, 0);
    let start = 0;
    let acc = 0;
    g.forEach((x, c) => {
      acc += x / total;
      const end = c === clients - 1 ? idx.length : Math.round(acc * idx.length);
      out[c]!.push(...idx.slice(start, end));
      start = end;
    });
  }
  return out.map((l) => l.sort((a, b) => a - b));
}

export function partition(labels: ArrayLike<number>, spec: PartitionSpec): number[][] {
  switch (spec.scheme) {
    case 'iid':
      return iidPartition(labels.length, spec.clients, spec.seed);
    case 'shards':
      return shardsPartition(labels, spec.clients, spec.shardsPerClient ?? 2, spec.seed);
    case 'dirichlet':
      return dirichletPartition(labels, spec.clients, spec.alpha ?? 0.5, spec.seed);
    case 'pathological':
      return pathologicalPartition(labels, spec.clients, spec.labels ?? 2, spec.seed);
    case 'synthetic':
      throw new DataError('a synthetic site generates its rows; there is no data set to partition', 'WRONG_FORMAT');
  }
}
