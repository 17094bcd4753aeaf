// Exact sums of real numbers under secure aggregation, for values with a wide range (column counts,
// sums and sums of squares), where the clipped, quantised form used for model deltas would lose them.
// Each value becomes a 72-bit fixed-point integer (16 fraction bits, offset to be non-negative), split
// into three 24-bit digits, one per 32-bit word. Masked words add mod 2^32; a digit sum of up to 255
// sites stays below 2^32, so after unmasking every digit sum is exact and the carries are redone here.

const DIGIT_BITS = 24n;
const DIGIT_MASK = (1n << DIGIT_BITS) - 1n;
/** 32-bit words per value. */
export const WORDS_PER_VALUE = 3;
const FRACTION = 2 ** 16;
/** Values are offset by 2^70 so that every encoded integer is non-negative (|v| < 2^54 fits). */
const OFFSET = 1n << 70n;
/** Sites whose digit sums still fit in a 32-bit word (255 * (2^24 - 1) < 2^32). */
export const MAX_FIXED_POINT_SITES = 255;

/** One site's values as words (WORDS_PER_VALUE per value). */
export function encodeFixedPoint(values: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(values.length * WORDS_PER_VALUE);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 54) throw new RangeError(`value ${v} cannot be encoded exactly`);
    let x = BigInt(Math.round(v * FRACTION)) + OFFSET;
    for (let d = 0; d < WORDS_PER_VALUE; d++) {
      out[i * WORDS_PER_VALUE + d] = Number(x & DIGIT_MASK);
      x >>= DIGIT_BITS;
    }
  }
  return out;
}

/** The sum of `sites` encoded vectors (their words added mod 2^32), back as numbers. */
export function decodeFixedPointSum(words: Uint32Array, sites: number): Float64Array {
  if (sites > MAX_FIXED_POINT_SITES)
    throw new RangeError(`fixed-point sums hold at most ${MAX_FIXED_POINT_SITES} sites`);
  const out = new Float64Array(words.length / WORDS_PER_VALUE);
  for (let i = 0; i < out.length; i++) {
    let x = 0n;
    for (let d = WORDS_PER_VALUE - 1; d >= 0; d--) x = (x << DIGIT_BITS) + BigInt(words[i * WORDS_PER_VALUE + d] ?? 0);
    out[i] = Number(x - BigInt(sites) * OFFSET) / FRACTION;
  }
  return out;
}
