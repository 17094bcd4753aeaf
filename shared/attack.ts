// Simulated Byzantine behaviour, to show what robust strategies protect against (never used by a real site).
import { ConfigError } from './errors/index.js';
import { normal, rng } from './random.js';

export type Attack = { kind: 'scale'; factor: number } | { kind: 'signflip' } | { kind: 'noise'; std: number };

/** Parses scale:F, signflip, or noise:S. */
export function parseAttack(spec: string): Attack {
  const [kind, arg] = spec.split(':');
  const x = Number(arg);
  if (kind === 'scale' && Number.isFinite(x)) return { kind, factor: x };
  if (kind === 'signflip' && arg === undefined) return { kind };
  if (kind === 'noise' && x > 0) return { kind, std: x };
  throw new ConfigError(`--attack: expected scale:FACTOR, signflip or noise:STD, got "${spec}"`);
}

/** Poisons a delta in place. */
export function applyAttack(delta: Float32Array, a: Attack, seed: number): void {
  if (a.kind === 'scale') for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * a.factor;
  else if (a.kind === 'signflip') for (let i = 0; i < delta.length; i++) delta[i] = -delta[i]!;
  else {
    const r = rng(seed);
    for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! + a.std * normal(r);
  }
}
