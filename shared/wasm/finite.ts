// Finding the first NaN or infinity among little-endian float32 bytes with WebAssembly SIMD: every
// update chunk is checked on arrival, so this runs over every byte a site uploads. Four values per
// instruction (exponent bits all ones means NaN or Inf); the chunk is first copied into the module's
// memory (a native memcpy), which also aligns it whatever its offset in the protobuf message.
import { endAddress, get, HEADER, I32, name, SIMD, section, set, uleb, V128 } from './assemble.js';

/** scan(x, n): the value index where the first 4-value group holding a non-finite value starts, or -1; n % 4 == 0. */
function scanBody(): number[] {
  const code = [
    ...endAddress(0, 1, 2), // end = x + n * 4
    0x41,
    ...[0x80, 0x80, 0x80, 0xfc, 0x07], // i32.const 0x7f800000
    SIMD,
    ...uleb(0x11),
    ...set(3), // mask = i32x4.splat(0x7f800000)
    0x02,
    0x40,
    0x03,
    0x40,
    ...get(0),
    ...get(2),
    0x4f,
    0x0d,
    1, // if x >= end: break
    ...get(0),
    SIMD,
    0x00,
    4,
    0, // v128.load
    ...get(3),
    SIMD,
    ...uleb(0x4e), // v128.and
    ...get(3),
    SIMD,
    ...uleb(0x37), // i32x4.eq
    SIMD,
    ...uleb(0x53), // v128.any_true
    0x04,
    0x40, // if
    ...get(0),
    ...get(4),
    0x6b,
    0x41,
    4,
    0x6e, // (x - start) / 4 (i32.div_u)
    0x0f, // return
    0x0b,
    ...get(0),
    0x41,
    16,
    0x6a,
    ...set(0),
    0x0c,
    0,
    0x0b,
    0x0b,
    0x41,
    0x7f, // -1
    0x0b,
  ];
  return code;
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  // Locals after the params x (0) and n (1): end (2, i32), mask (3, v128), start (4, i32) = x.
  const body = [3, 1, I32, 1, V128, 1, I32, 0x20, 0, 0x21, 4, ...scanBody()];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 2, I32, I32, 1, I32]), // type 0: (i32, i32) -> i32
    ...section(3, [1, 0]),
    ...section(5, [1, 0, ...uleb(WINDOW_BYTES / 65536)]), // memory: one window
    ...section(7, [2, ...name('mem'), 2, 0, ...name('scan'), 0, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** Bytes checked per call: 1 MiB, the size of an update chunk. */
const WINDOW_BYTES = 1 << 20;

let kernel: { view: Uint8Array; scan(x: number, n: number): number } | null | undefined;

function load(): typeof kernel {
  if (kernel === undefined) {
    try {
      const e = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as {
        mem: WebAssembly.Memory;
        scan(x: number, n: number): number;
      };
      kernel = { view: new Uint8Array(e.mem.buffer), scan: e.scan };
    } catch {
      kernel = null; // no WebAssembly SIMD here
    }
  }
  return kernel;
}

/**
 * Index of the first NaN or infinite value in little-endian float32 bytes, or -1; undefined where
 * WebAssembly SIMD is missing (callers use the plain loop).
 */
export function firstNonFiniteSimd(bytes: Uint8Array): number | undefined {
  const k = load();
  if (!k) return undefined;
  const values = bytes.byteLength >> 2;
  for (let start = 0; start < values; start += WINDOW_BYTES / 4) {
    const count = Math.min(values - start, WINDOW_BYTES / 4);
    k.view.set(bytes.subarray(start * 4, (start + count) * 4));
    const body = count & ~3;
    const group = k.scan(0, body);
    // Within the group (or the last few values past it), find the value itself.
    const from = group >= 0 ? group : body;
    const to = group >= 0 ? from + 4 : count;
    for (let i = from; i < to; i++)
      if ((k.view[i * 4 + 3]! & 0x7f) === 0x7f && (k.view[i * 4 + 2]! & 0x80) === 0x80) return start + i;
  }
  return -1;
}
