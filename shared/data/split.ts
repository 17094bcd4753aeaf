// Fixed stratified train/test split of one site's rows: the same seed gives the same split everywhere.
import { rng, seedOf, shuffleInPlace } from '../random.js';

/** Returns row indices for train and test, keeping each label's share in both. */
export function stratifiedSplit(
  labels: readonly number[],
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  const byLabel = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const list = byLabel.get(y) ?? [];
    list.push(i);
    byLabel.set(y, list);
  });
  const train: number[] = [];
  const test: number[] = [];
  for (const [y, idx] of [...byLabel.entries()].sort((a, b) => a[0] - b[0])) {
    shuffleInPlace(idx, rng(seedOf(seed, y)));
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
