// Strategy state to and from JSON: vectors (momentum, moments) as base64 float32, numbers as numbers.
import { bytesToF32, f32ToBytes } from '../../shared/tensors/bytes.js';
import type { StrategyState } from '../strategies/strategy.js';

type Encoded = Record<string, number | { f32: string }> | null;

export function encodeState(state: StrategyState): Encoded {
  if (!state) return null;
  const out: Record<string, number | { f32: string }> = {};
  for (const [k, v] of Object.entries(state))
    out[k] = typeof v === 'number' ? v : { f32: f32ToBytes(v).toString('base64') };
  return out;
}

export function decodeState(encoded: unknown): StrategyState {
  if (!encoded || typeof encoded !== 'object') return null;
  const out: Record<string, number | Float32Array> = {};
  for (const [k, v] of Object.entries(encoded as Record<string, unknown>)) {
    if (typeof v === 'number') out[k] = v;
    else if (v && typeof v === 'object' && typeof (v as { f32?: unknown }).f32 === 'string')
      out[k] = bytesToF32(Buffer.from((v as { f32: string }).f32, 'base64'));
  }
  return out;
}
