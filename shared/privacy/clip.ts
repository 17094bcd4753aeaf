// L2 clipping of a site's delta: the sensitivity bound of the Gaussian mechanism.

export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Factor that brings a vector of norm `norm` within `clip` (1 when already inside). */
export function clipFactor(norm: number, clip: number): number {
  return norm > clip ? clip / norm : 1;
}

/** Scales `v` in place so that its L2 norm is at most `clip`; returns the norm before clipping. */
export function clipL2(v: Float32Array, clip: number): number {
  const norm = l2Norm(v);
  const f = clipFactor(norm, clip);
  if (f < 1) for (let i = 0; i < v.length; i++) v[i] = v[i]! * f;
  return norm;
}
