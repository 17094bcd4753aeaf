// The wasm backend's matrix products are fast (XNNPACK) only untransposed: with transposeA or
// transposeB set, BatchMatMul runs 10-15x slower (measured: 2.2 and 3.2 against 27-35 GFLOPS for a
// 10x784x200 product). A dense layer's backward pass asks for exactly those (dW = x^T dy, dx = dy W^T),
// so training spent most of its time there. Transposing the operand first (a copy, linear in its
// size) and multiplying untransposed gives the same numbers at full speed.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The products wrapped: both read `a`, `b` and the transposeA/transposeB attributes. */
const PRODUCTS = ['BatchMatMul', '_FusedMatMul'] as const;

/** The last two dimensions swapped (rank 2 or 3, as BatchMatMul takes). */
function swapLast(t: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  const rank = t.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc as unknown as KernelFn;
  return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo;
}

export function untransposedProduct(original: KernelFn): KernelFn {
  return (args) => {
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    if (!tA && !tB) return original(args);
    const { backend } = args;
    const a = args.inputs['a']!;
    const b = args.inputs['b']!;
    const temps: tf.TensorInfo[] = [];
    const swap = (t: tf.TensorInfo) => {
      const out = swapLast(t, backend);
      temps.push(out);
      return out;
    };
    const plain = { ...args.attrs, transposeA: false, transposeB: false };
    // A bias or an activation applies to the product as asked: only a plain product may be turned around.
    const plainProduct = args.inputs['bias'] === undefined && (attrs.activation ?? 'linear') === 'linear';
    try {
      // C [m, n] = A [m, k] B [k, n] as asked. Transposing costs what it copies: the operands asked
      // transposed, or else (C^T = B^T A^T) the result and the operands not asked transposed. dx = dy W^T
      // (small dy, large W) is cheaper the second way.
      const [m, k] = tA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
      const n = tB ? b.shape.at(-2)! : b.shape.at(-1)!;
      const direct = (tA ? m * k : 0) + (tB ? k * n : 0);
      const flipped = m * n + (tA ? 0 : m * k) + (tB ? 0 : k * n);
      if (plainProduct && flipped < direct) {
        const ct = original({
          inputs: { a: tB ? b : swap(b), b: tA ? a : swap(a) },
          backend,
          attrs: plain,
        }) as tf.TensorInfo;
        temps.push(ct);
        return swapLast(ct, backend);
      }
      const inputs = { ...args.inputs, ...(tA ? { a: swap(a) } : {}), ...(tB ? { b: swap(b) } : {}) };
      return original({ inputs, backend, attrs: plain });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

let wrapped = false;
const wrappers = new WeakSet<object>();

/** Whether the wasm backend's products are the wrapped ones (what the tests check runs). */
export function wasmProductsWrapped(): boolean {
  return PRODUCTS.every((name) => {
    const k = tf.getKernel(name, 'wasm');
    return k !== undefined && wrappers.has(k.kernelFunc);
  });
}

/**
 * Wraps the wasm products once, before the backend starts (each keeps its setup function, which binds
 * its wasm export when the backend initialises). Safe to call repeatedly.
 */
export function registerWasmUntransposedProducts(): void {
  if (wrapped) return;
  for (const name of PRODUCTS) {
    const config = tf.getKernel(name, 'wasm');
    if (!config) continue;
    tf.unregisterKernel(name, 'wasm');
    const kernelFunc = untransposedProduct(config.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc;
    wrappers.add(kernelFunc);
    tf.registerKernel({ ...config, kernelFunc });
  }
  wrapped = true;
}
