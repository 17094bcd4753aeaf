// Training: forwards a `train` or `evaluate` child job to its worker's stream and completes when the
// result has arrived and validated; fails on deadline, disconnect or a bad update.
import type { Job } from 'bullmq';
import path from 'node:path';
import { TaskError } from '../../shared/errors';
import { createStrategy } from '../strategies';
import type { TaskJobData, TaskJobResult } from '../queues/jobs';
import type { RoundContext } from './context';
import { ExperimentRecords } from '../experiments/records';
import type { SecAggStage } from '../../shared/config/schema';
import type { SecAggRequest } from '../../shared/protocol/generated/accord/v1/SecAggRequest';
import { protocolId, readState, type SecAggState } from './secure/state';

/** How long a task waits for its site to (re)connect to this instance before failing. */
export const RECONNECT_GRACE_MS = 15_000;

export async function runTask(ctx: RoundContext, job: Job<TaskJobData>): Promise<TaskJobResult> {
  try {
    const r = await runTaskInner(ctx, job);
    ctx.metrics.tasks.inc({ kind: job.data.kind, outcome: 'ok' });
    ctx.metrics.bytes.inc({ direction: 'up' }, r.bytesUp);
    ctx.metrics.bytes.inc({ direction: 'down' }, r.bytesDown);
    return r;
  } catch (e) {
    ctx.metrics.tasks.inc({ kind: job.data.kind, outcome: 'failed' });
    throw e;
  }
}

async function runTaskInner(ctx: RoundContext, job: Job<TaskJobData>): Promise<TaskJobResult> {
  const { experimentId, round, attempt, kind, site, taskId } = job.data;
  const rec = await ctx.records.get(experimentId);
  if (!rec || rec.status !== 'running') throw new TaskError(`experiment ${experimentId} is not running`, 'NOT_RUNNING');
  const cfg = rec.config;
  // A worker whose coordinator restarted is reconnecting with backoff: give it a moment.
  const graceEnd = Date.now() + Math.min(cfg.timeouts.taskMs, RECONNECT_GRACE_MS);
  let session = ctx.hub.get(site);
  while (!session && Date.now() < graceEnd) {
    await new Promise((r) => setTimeout(r, 100));
    session = ctx.hub.get(site);
  }
  if (!session) throw new TaskError(`site ${site} is not connected to coordinator ${ctx.instance}`, 'DISCONNECTED');
  if (kind === 'stats') {
    const outcome = await session.runTask({ kind, taskId, experimentId, round, configJson: JSON.stringify(cfg), deadline: Date.now() + cfg.timeouts.taskMs });
    return { site, kind, ...outcome, backend: session.hello.backend };
  }
  if (kind === 'secagg') {
    const state = readState(ctx.paths, experimentId, round, attempt);
    const stage = job.data.stage!;
    const request = stageRequest(state, stage, site, Date.now() + cfg.secagg.stageTimeoutMs);
    const masked = stage === 'masked-input';
    const outcome = await session.runTask({
      kind,
      taskId,
      experimentId,
      round,
      configJson: '',
      deadline: Date.now() + cfg.secagg.stageTimeoutMs,
      secagg: { request, ...(masked ? { uploadValues: state.length } : {}) },
      ...(masked ? { spoolFile: path.join(ctx.paths.spoolDir(experimentId, round, attempt), `masked-${site}.u32`) } : {}),
    });
    return { site, kind, ...outcome, backend: session.hello.backend };
  }
  const meta = ctx.checkpoints.readMeta(experimentId, round - 1);
  const file = kind === 'train' ? ctx.paths.checkpointBin(experimentId, round - 1) : ctx.paths.candidate(experimentId, round);
  const weights = ctx.weights.load(file, meta.specs);
  const effective = ExperimentRecords.effectiveConfig(rec);
  const roundConfig = { ...effective, train: createStrategy(cfg.strategy).configureFit(round, cfg) };
  const outcome = await session.runTask({
    kind,
    taskId,
    experimentId,
    round,
    configJson: JSON.stringify(roundConfig),
    deadline: Date.now() + cfg.timeouts.taskMs,
    weights,
    secure: kind === 'train' && cfg.secagg.mode !== 'off',
    ...(kind === 'train' && cfg.secagg.mode === 'off' ? { spoolFile: path.join(ctx.paths.spoolDir(experimentId, round, attempt), `${site}.f32`) } : {}),
  });
  return { site, kind, ...outcome, backend: session.hello.backend };
}

/** The request of one secure-aggregation stage for one client, from the round's stored state. */
export function stageRequest(state: SecAggState, stage: SecAggStage, site: string, deadline: number): Omit<SecAggRequest, 'taskId'> {
  const base = { experimentId: protocolId(state), round: state.round, stage, deadlineUnixMs: deadline };
  const b = (x: string) => Buffer.from(x, 'base64');
  switch (stage) {
    case 'advertise-keys':
      return base;
    case 'share-keys':
      return {
        ...base,
        peers: state.peers!.map((p) => ({ site: p.site, cPk: b(p.cPk), sPk: b(p.sPk) })),
        degree: String(state.degree),
        threshold: state.threshold,
        graphSeed: state.graphSeed,
      };
    case 'masked-input': {
      const sharers = new Set(state.sharers!);
      return {
        ...base,
        shares: state.sealed!.filter((s) => s.to === site && sharers.has(s.from)).map((s) => ({ from: s.from, to: s.to, sealed: b(s.sealed) })),
        sharers: state.sharers!,
        quant: state.quant,
      };
    }
    case 'unmasking': {
      const alive = new Set(state.survivors!);
      return { ...base, dropped: state.sharers!.filter((s) => !alive.has(s)), survivors: state.survivors! };
    }
  }
}
