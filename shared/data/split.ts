// Fixed stratified train/test split of one site's rows: the same seed gives the same split everywhere.
import { createHmac } from 'node:crypto';
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

/**
 * A site's own split: a row is a test row when a keyed hash of its line number (HMAC-SHA256 with the
 * site's secret) falls below `testFraction`. It depends on nothing an experiment chooses (label,
 * seed, which rows have a label), so two experiments see the same training rows and differencing
 * their statistics gives nothing; without the key the coordinator cannot tell which rows are which.
 */
export interface SiteSplit {
  key: Buffer;
  testFraction: number;
}

/** For each line, whether it is a test row under the site split. */
export function isTestLine(split: SiteSplit, line: number): boolean {
  const h = createHmac('sha256', split.key).update(`accord/split/line/${line}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < split.testFraction;
}

/** Row indices for train and test under the site split, given each row's line number in its file. */
export function siteSplit(lines: readonly number[], split: SiteSplit): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  lines.forEach((line, i) => {
    (isTestLine(split, line) ? test : train).push(i);
  });
  return { train, test };
}

/** A 31-bit seed from the site's key, for formats split by a seeded shuffle (image folders). */
export function seedOfKey(key: Buffer): number {
  return createHmac('sha256', key).update('accord/split/seed').digest().readUInt32BE(0) & 0x7fffffff;
}
