// Layout of the model store directory (checkpoints, update spool, exported models, reports).
import path from 'node:path';

export class StorePaths {
  constructor(readonly root: string) {}
  experiment(exp: string): string {
    return path.join(this.root, exp);
  }
  checkpointBin(exp: string, round: number): string {
    return path.join(this.root, exp, 'checkpoints', `round-${String(round).padStart(5, '0')}.bin`);
  }
  /** The JSON is written after the weights: its presence marks the round as committed. */
  checkpointMeta(exp: string, round: number): string {
    return path.join(this.root, exp, 'checkpoints', `round-${String(round).padStart(5, '0')}.json`);
  }
  candidate(exp: string, round: number): string {
    return path.join(this.root, exp, 'candidates', `round-${String(round).padStart(5, '0')}.bin`);
  }
  /** What rounds leave until they are committed or dropped: spooled uploads, secure-aggregation state, candidates. */
  roundLeftovers(exp: string): string[] {
    return ['spool', 'secagg', 'candidates'].map((d) => path.join(this.root, exp, d));
  }
  spoolDir(exp: string, round: number, attempt: number): string {
    return path.join(this.root, exp, 'spool', `r${round}-a${attempt}`);
  }
  /** Secure-aggregation state of one round attempt (public keys, sealed shares, who is in). */
  secaggState(exp: string, round: number, attempt: number): string {
    return path.join(this.root, exp, 'secagg', `r${round}-a${attempt}.json`);
  }
  maskedSum(exp: string, round: number, attempt: number): string {
    return path.join(this.root, exp, 'secagg', `r${round}-a${attempt}.sum.u32`);
  }
  modelDir(exp: string): string {
    return path.join(this.root, exp, 'model');
  }
  /** The best-scoring committed round's model, when it is not the last one (experiments/best-round.ts). */
  bestModelDir(exp: string): string {
    return path.join(this.root, exp, 'model-best');
  }
  report(exp: string): string {
    return path.join(this.root, exp, 'report.json');
  }
  reportMarkdown(exp: string): string {
    return path.join(this.root, exp, 'report.md');
  }
  reportHtml(exp: string): string {
    return path.join(this.root, exp, 'report.html');
  }
}
