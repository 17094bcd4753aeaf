// A benchmark's simulated federation on Synthetic(1, 1): a private redis-server, a scratch output
// folder, every site in every round, no progress output; `inspect` reads what it needs (the report,
// the store, Redis) before both are removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrivateRedis } from '../simulation/redis-server.js';
import { type SimulateOptions, type SimulationReport, simulate } from '../simulation/run.js';

export interface SimulatedRun {
  report: SimulationReport;
  out: string;
  redisUrl: string;
}

export async function withSimulation<T>(
  sites: number,
  rounds: number,
  extra: Partial<SimulateOptions>,
  inspect: (run: SimulatedRun) => Promise<T> | T,
  /** Called with the run's output folder before it starts (to watch its processes). */
  before?: (out: string) => void,
): Promise<T> {
  const redis = await startPrivateRedis();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `accord-bench-${sites}-`));
  try {
    before?.(out);
    const report = await simulate({
      dataset: 'synthetic',
      clients: sites,
      fraction: 1,
      rounds,
      out,
      redisUrl: redis.url,
      baselines: false,
      backend: 'auto',
      progress: false,
      ...extra,
    });
    return await inspect({ report, out, redisUrl: redis.url });
  } finally {
    await redis.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
}
