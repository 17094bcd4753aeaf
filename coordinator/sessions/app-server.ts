// Serving an experiment's app to a site that asks for it by digest: the bundle submit stored beside the
// experiment (shared/apps/bundle.ts), in chunks of at most 1 MiB. Only the digest the experiment names
// is served, so a site cannot fetch anything else; the site checks the bundle against the digest it
// approved, so a coordinator that sends other code is caught there. App code is not secret from the
// federation's sites: any connected site may fetch an experiment's app.

import { appOfModel } from '../../shared/models/topology.js';
import { MAX_CHUNK_BYTES } from '../../shared/protocol/chunks.js';
import type { AppRequest__Output, CoordinatorMessage } from '../../shared/protocol/load.js';
import type { ExperimentRecords } from '../experiments/records.js';

/** The bundle `req` asks for, or why it cannot be served. */
async function refusal(records: ExperimentRecords, req: AppRequest__Output): Promise<string | Buffer> {
  if (!/^[0-9a-f]{64}$/.test(req.sha256)) return 'the digest is not 64 hex digits';
  const rec = await records.get(req.experimentId).catch(() => undefined);
  if (!rec) return `no experiment ${req.experimentId.slice(0, 100)}`;
  const named = appOfModel(rec.config.model)?.sha256;
  if (named !== req.sha256) return `experiment ${rec.id} has no app ${req.sha256}`;
  const bundle = await records.app(rec.id);
  return bundle ?? `the bundle of app ${req.sha256} is not stored`;
}

/** Answers `req` on `send`: the bundle in chunks, or one chunk naming why not. */
export async function serveApp(
  records: ExperimentRecords,
  req: AppRequest__Output,
  send: (msg: CoordinatorMessage) => Promise<unknown>,
): Promise<void> {
  const found = await refusal(records, req);
  if (typeof found === 'string') {
    await send({ appChunk: { sha256: req.sha256, seq: 0, last: true, error: found } });
    return;
  }
  const count = Math.max(1, Math.ceil(found.byteLength / MAX_CHUNK_BYTES));
  for (let seq = 0; seq < count; seq++) {
    const data = found.subarray(seq * MAX_CHUNK_BYTES, (seq + 1) * MAX_CHUNK_BYTES);
    await send({ appChunk: { sha256: req.sha256, seq, last: seq === count - 1, data } });
  }
}
