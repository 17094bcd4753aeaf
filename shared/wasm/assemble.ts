// The few pieces needed to assemble tiny WebAssembly modules in code (the SIMD kernels of secure
// aggregation and of the FedAvg fold): no build step, no binary blob in the repository.

/** LEB128 of an unsigned integer. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A module section: id, byte length, body. */
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** A length-prefixed ASCII name (exports). */
export const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'ascii')];

/** The module header: magic and version 1. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];

/** Value types and the SIMD prefix. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export const SIMD = 0xfd;

/** local.get and local.set of local `i`. */
export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];

/** `end = base + count * 4`: the byte address past `count` 32-bit values from local `base`. */
export const endAddress = (base: number, count: number, end: number) => [
  ...get(base),
  ...get(count),
  0x41,
  2,
  0x74,
  0x6a,
  ...set(end),
];
