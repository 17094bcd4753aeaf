// Adding masks mod 2^32 with WebAssembly SIMD (i32x4.add / i32x4.sub): about 2 ns per word in a
// JavaScript loop here, the hot path of secure aggregation (each client adds 1 + k masks of the model's
// size, the server removes one per survivor). The module is a dozen instructions, assembled below so no
// build step or binary blob is needed; where WebAssembly SIMD is missing, callers use the JS loop.
import { endAddress, get, HEADER, I32, name, SIMD, section, uleb } from '../wasm/assemble.js';

/** (acc, mask, words): acc[i] = acc[i] op mask[i] for 4-word lanes; byte addresses, 16-aligned, words % 4 == 0. */
function laneLoop(op: number): number[] {
  const code = [
    ...endAddress(0, 2, 3), // end = acc + words * 4
    0x02,
    0x40,
    0x03,
    0x40, // block, loop
    ...get(0),
    ...get(3),
    0x4f,
    0x0d,
    1, // if acc >= end: break
    ...get(0), // store address
    ...get(0),
    SIMD,
    0x00,
    4,
    0, // v128.load acc
    ...get(1),
    SIMD,
    0x00,
    4,
    0, // v128.load mask
    SIMD,
    ...uleb(op), // i32x4.add or i32x4.sub
    SIMD,
    0x0b,
    4,
    0, // v128.store
    ...get(0),
    0x41,
    16,
    0x6a,
    0x21,
    0, // acc += 16
    ...get(1),
    0x41,
    16,
    0x6a,
    0x21,
    1, // mask += 16
    0x0c,
    0,
    0x0b,
    0x0b,
    0x0b, // br loop; end loop; end block; end
  ];
  const body = [1, 1, 0x7f, ...code]; // one extra i32 local (end)
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 0]), // type 0: (i32, i32, i32) -> ()
    ...section(3, [2, 0, 0]), // two functions of type 0
    ...section(5, [1, 0, 1]), // memory: one page to start
    ...section(7, [3, ...name('mem'), 2, 0, ...name('add'), 0, 0, ...name('sub'), 0, 1]),
    ...section(10, [2, ...laneLoop(0xae), ...laneLoop(0xb1)]),
  ]);
}

export interface LaneOps {
  memory: WebAssembly.Memory;
  add(acc: number, mask: number, words: number): void;
  sub(acc: number, mask: number, words: number): void;
}

let ops: LaneOps | null | undefined;

/** The SIMD kernels, or null where this runtime lacks WebAssembly SIMD. */
export function laneOps(): LaneOps | null {
  if (ops !== undefined) return ops;
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const e = inst.exports as unknown as LaneOps & { mem: WebAssembly.Memory };
    ops = { memory: e.mem, add: e.add, sub: e.sub };
  } catch {
    ops = null;
  }
  return ops;
}
