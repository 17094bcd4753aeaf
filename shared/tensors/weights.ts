// Flat weight vectors: a model's weights as one Float32Array plus the shapes to rebuild them.
// Pure functions; no TF.js here so the coordinator's math never needs a backend.

export interface TensorShape {
  name: string;
  shape: number[];
}

export interface FlatWeights {
  specs: TensorShape[];
  values: Float32Array;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function totalSize(specs: readonly TensorShape[]): number {
  return specs.reduce((n, s) => n + sizeOf(s.shape), 0);
}

/** Concatenates per-tensor arrays in spec order. */
export function flatten(specs: TensorShape[], parts: Float32Array[]): FlatWeights {
  if (parts.length !== specs.length) throw new Error(`flatten: ${parts.length} tensors for ${specs.length} specs`);
  const values = new Float32Array(totalSize(specs));
  let off = 0;
  parts.forEach((p, i) => {
    const n = sizeOf(specs[i]!.shape);
    if (p.length !== n) throw new Error(`flatten: tensor ${specs[i]!.name} has ${p.length} values, shape says ${n}`);
    values.set(p, off);
    off += n;
  });
  return { specs, values };
}

/** Splits a flat vector back into per-tensor views (no copy). */
export function unflatten(flat: FlatWeights): Float32Array[] {
  const out: Float32Array[] = [];
  let off = 0;
  for (const s of flat.specs) {
    const n = sizeOf(s.shape);
    out.push(flat.values.subarray(off, off + n));
    off += n;
  }
  if (off !== flat.values.length) throw new Error(`unflatten: ${flat.values.length} values for ${off} in specs`);
  return out;
}

export function sameSpecs(a: readonly TensorShape[], b: readonly TensorShape[]): boolean {
  return (
    a.length === b.length && a.every((s, i) => s.name === b[i]!.name && s.shape.join('x') === b[i]!.shape.join('x'))
  );
}
