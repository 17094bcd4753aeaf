// Following a submitted experiment to its end: a bar on a TTY, a line per round otherwise.

import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { AccordError } from '../shared/errors/index.js';
import type { RedisClient } from '../shared/redis-target.js';
import type { ProcessGroup } from './processes.js';

export interface Watch {
  /** Rounds the experiment is configured for. */
  rounds: number;
  /** Print progress at all. */
  progress: boolean;
  timeoutMs: number;
  say: (line: string) => void;
  /** The report the coordinator writes when it closes the experiment (a cancelled one is closed later). */
  reportFile: string;
}

/** How an experiment that did not fail ended. */
export type Ended = { status: 'completed' } | { status: 'cancelled'; why: string };

/** How long a cancelled experiment may take to be closed (its round in flight ends first). */
const CLOSE_CANCELLED_MS = 120_000;

/**
 * Resolves when the experiment completes, or is cancelled and its coordinator has written its report;
 * throws when it fails, a process exits or time runs out.
 */
export async function awaitExperiment(redis: RedisClient, id: string, group: ProcessGroup, w: Watch): Promise<Ended> {
  const records = new ExperimentRecords(redis);
  const bar =
    w.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: 'rounds [{bar}] {value}/{total} | {phase} | mean site accuracy {acc}', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(w.rounds, 0, { phase: 'starting', acc: '-' });
  let shown = 0;
  let deadline = Date.now() + w.timeoutMs;
  let cancelled: string | undefined;
  for (;;) {
    const rec = await records.get(id);
    if (rec) {
      if (rec.committed > shown) {
        const rounds = await records.rounds(id);
        for (const r of rounds.filter((x) => x.round > shown)) {
          const acc = Number.isFinite(r.meanSiteAccuracy) ? r.meanSiteAccuracy.toFixed(3) : '-';
          const central = r.central ? `, central accuracy ${r.central.accuracy.toFixed(3)}` : '';
          if (bar) bar.update(r.round, { phase: rec.phase, acc: acc + central });
          else
            w.say(
              `round ${r.round}/${w.rounds}: train loss ${r.trainLoss.toFixed(4)}, mean site accuracy ${acc}${central}`,
            );
        }
        shown = rec.committed;
      } else bar?.update(shown, { phase: rec.phase });
      if (rec.status === 'completed') {
        const rounds = await records.rounds(id);
        bar?.update(rounds.length, { phase: rec.stopped ? 'stopped' : 'completed' });
        break;
      }
      if (rec.status === 'failed') throw new AccordError('EXPERIMENT_FAILED', `experiment failed: ${rec.error}`);
      if (rec.status === 'cancelled') {
        if (cancelled === undefined) {
          cancelled = rec.stopped ?? 'cancelled';
          w.say(`experiment cancelled (${cancelled}); waiting for the coordinator to write its report ...`);
          deadline = Math.min(deadline, Date.now() + CLOSE_CANCELLED_MS);
        }
        if (fs.existsSync(w.reportFile)) {
          bar?.stop();
          return { status: 'cancelled', why: cancelled };
        }
      }
    }
    group.assertRunning();
    if (Date.now() > deadline)
      throw new AccordError('TIMEOUT', `simulation did not finish in time (round ${rec?.round}, ${rec?.phase})`);
    await sleep(200);
  }
  bar?.stop();
  return { status: 'completed' };
}
