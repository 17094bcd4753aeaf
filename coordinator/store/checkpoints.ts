// Checkpoints of the global model, one per committed round, written atomically.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../shared/files/atomic.js';
import type { AccountantState } from '../../shared/privacy/rdp.js';
import { bytesToF32, f32ToBytes } from '../../shared/tensors/bytes.js';
import type { FlatWeights, TensorShape } from '../../shared/tensors/weights.js';
import type { StrategyState } from '../strategies/strategy.js';
import type { StorePaths } from './paths.js';
import { decodeState, encodeState } from './state-codec.js';

export interface CheckpointMeta {
  experiment: string;
  round: number;
  specs: TensorShape[];
  /** Strategy state (e.g. server momentum), so a resumed experiment continues exactly. */
  strategyState: StrategyState;
  /** RDP accountant state after this round, when differential privacy is on. */
  privacy?: AccountantState;
  writtenAt: number;
}

export class Checkpoints {
  constructor(private readonly paths: StorePaths) {}

  /** Weights first, then the meta file: a crash between the two leaves the round uncommitted. */
  write(
    exp: string,
    round: number,
    weights: FlatWeights,
    strategyState: StrategyState = null,
    privacy?: CheckpointMeta['privacy'],
  ): void {
    writeFileAtomic(this.paths.checkpointBin(exp, round), f32ToBytes(weights.values));
    const meta = {
      experiment: exp,
      round,
      specs: weights.specs,
      strategyState: encodeState(strategyState),
      ...(privacy ? { privacy } : {}),
      writtenAt: Date.now(),
    };
    writeFileAtomic(this.paths.checkpointMeta(exp, round), JSON.stringify(meta));
  }

  exists(exp: string, round: number): boolean {
    return fs.existsSync(this.paths.checkpointMeta(exp, round));
  }

  /** The meta file alone (shapes, strategy state, privacy), without reading the weights. */
  readMeta(exp: string, round: number): CheckpointMeta {
    const raw = JSON.parse(fs.readFileSync(this.paths.checkpointMeta(exp, round), 'utf8')) as CheckpointMeta;
    return { ...raw, strategyState: decodeState(raw.strategyState) };
  }

  read(exp: string, round: number): { weights: FlatWeights; meta: CheckpointMeta } {
    const meta = this.readMeta(exp, round);
    const values = bytesToF32(fs.readFileSync(this.paths.checkpointBin(exp, round)));
    return { weights: { specs: meta.specs, values }, meta };
  }

  /** Highest committed round, or -1 when none. */
  latest(exp: string): number {
    const dir = path.dirname(this.paths.checkpointMeta(exp, 0));
    if (!fs.existsSync(dir)) return -1;
    let best = -1;
    for (const f of fs.readdirSync(dir)) {
      const m = /^round-(\d+)\.json$/.exec(f);
      if (m) best = Math.max(best, Number(m[1]));
    }
    return best;
  }
}
