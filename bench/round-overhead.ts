// roundOverheadMs: what a round costs beyond local training. 10 sites (worker processes' sessions over
// loopback gRPC), a model of about 1 M parameters (an MLP on Synthetic(1, 1)), training stubbed to a
// fixed delta, so a round's wall time is selection, task dispatch, model download, update upload,
// aggregation, checkpoint and commit. The slowest site's training time is 0 by construction.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrivateRedis } from '../simulation/redis-server.js';
import { simulate } from '../simulation/run.js';

export async function benchRoundOverhead(sites = 10, rounds = 5) {
  const redis = await startPrivateRedis();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-overhead-'));
  try {
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
      stubTraining: true,
      // 60 x 1000 + 1000 x 940 + 940 x 10 weights and their biases: 1,011,290 parameters.
      model: { zoo: 'mlp', hidden: [1000, 940] },
    });
    // The first round also builds the initial model and warms the processes; the steady state follows.
    const rs = report.rounds.slice(1).map((r) => r.durations);
    const mean = (f: (d: (typeof rs)[number]) => number) => rs.reduce((a, d) => a + f(d), 0) / rs.length;
    return {
      roundOverheadMs: mean((d) => d.totalMs),
      trainPhaseMs: mean((d) => d.trainMs),
      aggregateMs: mean((d) => d.aggregateMs),
      evaluateMs: mean((d) => d.evaluateMs),
      sites,
      params: 1_011_290,
      rounds: rs.length,
    };
  } finally {
    await redis.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
}
