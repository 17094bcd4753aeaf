// At start-up, the store is swept of what earlier runs left: an ended experiment keeps its
// checkpoints, model and reports only (one cancelled while no coordinator ran is closed now), and a
// running one loses the temporary files of writes a killed coordinator never finished.
import fs from 'node:fs';
import path from 'node:path';
import { removeQuietly } from '../../shared/files/atomic.js';
import type { RoundContext } from './context.js';
import { closeCancelled } from './finish.js';

/** A temporary file younger than this may be another live coordinator's write in progress. */
const STALE_TMP_MS = 60_000;

export async function sweepStore(ctx: RoundContext): Promise<void> {
  for (const id of await ctx.records.ids()) {
    const rec = await ctx.records.brief(id);
    // Another store's experiment (coordinators on one Redis with stores of their own): not ours to touch.
    if (!rec || !fs.existsSync(ctx.paths.experiment(id))) continue;
    if (rec.status === 'cancelled') await closeCancelled(ctx, id);
    const ended = rec.status === 'completed' || rec.status === 'failed' || rec.status === 'cancelled';
    if (ended) for (const dir of ctx.paths.roundLeftovers(id)) removeQuietly(dir);
    for (const dir of ['candidates', 'checkpoints'].map((d) => path.join(ctx.paths.experiment(id), d))) {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names.filter((n) => n.endsWith('.tmp'))) {
        const file = path.join(dir, name);
        try {
          // Nothing writes for an ended experiment any more: its temporary files go whatever their age.
          if (ended || Date.now() - fs.statSync(file).mtimeMs > STALE_TMP_MS) fs.rmSync(file, { force: true });
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}
