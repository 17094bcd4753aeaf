// roundOverheadMs: what a round costs beyond local training. 10 sites (worker processes' sessions over
// loopback gRPC), a model of about 1 M parameters (an MLP on Synthetic(1, 1)), training stubbed to a
// fixed delta, so a round's wall time is selection, task dispatch, model download, update upload,
// aggregation, checkpoint and commit. The slowest site's training time is 0 by construction.
import { withSimulation } from './simulated.js';

export async function benchRoundOverhead(sites = 10, rounds = 5) {
  return withSimulation(
    sites,
    rounds,
    // 60 x 1000 + 1000 x 940 + 940 x 10 weights and their biases: 1,011,290 parameters.
    { stubTraining: true, model: { zoo: 'mlp', hidden: [1000, 940] } },
    ({ report }) => {
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
    },
  );
}
