// Robust aggregation math (pure): coordinate-wise median and trimmed mean over a block of rows, and
// Krum's scores from pairwise squared distances.

/** Coordinate-wise median of rows (mean of the middle two for an even count). */
export function medianBlock(rows: Float32Array[], out: Float32Array): void {
  const n = rows.length;
  const col = new Float64Array(n);
  for (let j = 0; j < out.length; j++) {
    for (let i = 0; i < n; i++) col[i] = rows[i]![j]!;
    col.sort();
    out[j] = n % 2 ? col[(n - 1) / 2]! : (col[n / 2 - 1]! + col[n / 2]!) / 2;
  }
}

/** How many values are cut from each end: floor(beta * n), but never all of them. */
export function trimCount(n: number, beta: number): number {
  return Math.min(Math.floor(beta * n), Math.floor((n - 1) / 2));
}

/** Coordinate-wise beta-trimmed mean (Yin et al. 2018). */
export function trimmedMeanBlock(rows: Float32Array[], beta: number, out: Float32Array): void {
  const n = rows.length;
  const k = trimCount(n, beta);
  const col = new Float64Array(n);
  for (let j = 0; j < out.length; j++) {
    for (let i = 0; i < n; i++) col[i] = rows[i]![j]!;
    col.sort();
    let s = 0;
    for (let i = k; i < n - k; i++) s += col[i]!;
    out[j] = s / (n - 2 * k);
  }
}

/** Adds the squared distances between every pair of rows of one block into `d` (n x n, symmetric). */
export function addPairwiseSquaredDistances(rows: Float32Array[], d: number[][]): void {
  const n = rows.length;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const ra = rows[a]!;
      const rb = rows[b]!;
      let s = 0;
      for (let j = 0; j < ra.length; j++) {
        const x = ra[j]! - rb[j]!;
        s += x * x;
      }
      d[a]![b]! += s;
      d[b]![a]! += s;
    }
  }
}

/**
 * Krum (Blanchard et al. 2017): each update's score is the sum of squared distances to its n - f - 2
 * nearest others; returns the indices of the `m` lowest scores (m = 1: Krum; m > 1: Multi-Krum).
 */
export function krumSelect(d: number[][], f: number, m: number): { selected: number[]; scores: number[] } {
  const n = d.length;
  const k = Math.max(1, n - f - 2);
  const scores = d.map((row, i) =>
    row
      .filter((_, j) => j !== i)
      .sort((a, b) => a - b)
      .slice(0, k)
      .reduce((a, b) => a + b, 0),
  );
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    selected: order
      .slice(0, Math.max(1, Math.min(m, n)))
      .map(([, i]) => i)
      .sort((a, b) => a - b),
    scores,
  };
}
