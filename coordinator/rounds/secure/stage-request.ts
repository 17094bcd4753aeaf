// The request of one secure-aggregation stage for one client, from the round's stored state.
import type { SecAggStage } from '../../../shared/config/schema.js';
import { TaskError } from '../../../shared/errors/index.js';
import type { SecAggRequest } from '../../../shared/protocol/load.js';
import { routeShares } from '../../../shared/secagg/server.js';
import type { SecAggState } from './state.js';

/** What the client of `site` is sent in `stage` (without the task id, which the task adds). */
export function stageRequest(
  state: SecAggState,
  stage: SecAggStage,
  site: string,
  deadline: number,
): Omit<SecAggRequest, 'taskId' | 'stage'> {
  // A task left over from an earlier stage (a retried job) must not run against the newer state.
  if (state.stage !== stage)
    throw new TaskError(`secure aggregation is at ${state.stage}, not ${stage}`, 'WRONG_STAGE');
  const base = {
    experimentId: state.experimentId,
    round: state.round,
    attempt: state.attempt,
    deadlineUnixMs: deadline,
  };
  const b = (x: string) => Buffer.from(x, 'base64');
  switch (state.stage) {
    case 'advertise-keys':
      return base;
    case 'share-keys':
      return {
        ...base,
        peers: state.peers.map((p) => ({
          site: p.site,
          cPk: b(p.cPk),
          sPk: b(p.sPk),
          gPk: b(p.gPk),
          keySignature: b(p.keySignature ?? ''),
        })),
        neighbours: state.degree === 'all' ? 0 : state.degree,
        threshold: state.threshold,
        graphSeed: state.graphSeed,
      };
    case 'masked-input': {
      const mine = routeShares(state.sealed, state.sharers).get(site) ?? [];
      return {
        ...base,
        shares: mine.map((s) => ({ from: s.from, to: s.to, sealed: b(s.sealed) })),
        sharers: state.sharers,
        // Column statistics are masked as encoded words; only deltas need quantising.
        quant: state.purpose.kind === 'train' ? state.purpose.quant : null,
      };
    }
    case 'consistency-check':
      return { ...base, survivors: state.survivors };
    case 'unmasking': {
      const alive = new Set(state.survivors);
      const signatures = state.signatures.map((s) => ({ site: s.site, signature: b(s.signature) }));
      return { ...base, dropped: state.sharers.filter((s) => !alive.has(s)), survivors: state.survivors, signatures };
    }
  }
}
