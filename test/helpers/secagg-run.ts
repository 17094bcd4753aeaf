// Runs the pure secure-aggregation protocol for a set of clients in one process (no network).
import { type GraphParams, type RevealedShare, type SealedShare, SecAggClient } from '../../shared/secagg/client.js';
import { graphSeedOf } from '../../shared/secagg/graph.js';
import { addMasked, routeShares, unmaskSum } from '../../shared/secagg/server.js';

export interface RunResult {
  masked: Map<string, Uint32Array>;
  sum: Uint32Array;
  survivors: string[];
}

export async function runSecAgg(
  inputs: Map<string, Uint32Array>,
  graph: GraphParams,
  dropAfterShare: string[] = [],
  experiment = 'exp',
  round = 1,
): Promise<RunResult> {
  const sites = [...inputs.keys()].sort();
  const clients = new Map(sites.map((s) => [s, new SecAggClient(experiment, round, s)]));
  const peers = sites.map((s) => ({ site: s, ...clients.get(s)!.advertise() }));
  graph = { ...graph, graphSeed: graphSeedOf(peers) };
  const sealed: SealedShare[] = [];
  for (const s of sites) sealed.push(...(await clients.get(s)!.shareKeys(peers, graph)));
  const routed = routeShares(sealed, sites);
  const survivors = sites.filter((s) => !dropAfterShare.includes(s));
  const masked = new Map<string, Uint32Array>();
  const length = inputs.get(sites[0]!)!.length;
  const sum = new Uint32Array(length);
  for (const s of survivors) {
    const y = clients.get(s)!.maskedInput(routed.get(s)!, sites, inputs.get(s)!);
    masked.set(s, y);
    addMasked(sum, y);
  }
  const revealed: RevealedShare[] = [];
  const signatures = survivors.map((s) => ({ site: s, signature: clients.get(s)!.consistency(survivors) }));
  for (const s of survivors) revealed.push(...clients.get(s)!.unmask(dropAfterShare, survivors, signatures));
  const commitments = new Map(sites.map((s) => [s, clients.get(s)!.commitment()]));
  await unmaskSum(sum, { experiment, round, peers, graph, sharers: sites, survivors, revealed, commitments });
  return { masked, sum, survivors };
}
