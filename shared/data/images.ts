// A site's image data: its IDX files or its folder of image files (or, in a simulation, its partition
// of a shared IDX set), split into local train and test, pixels scaled to [0, 1].
import type { IdxDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import type { Examples, SiteData } from './features.js';
import { countImages, type ImageSet, loadImageSet } from './idx.js';
import { countFolderImages, isImageFolder, loadImageFolder } from './image-folder.js';
import { type PartitionSpec, partition } from './partition.js';
import { stratifiedSplit } from './split.js';

/** The part of a simulated data set that one logical site holds. */
export interface SitePartition extends PartitionSpec {
  index: number;
}

/**
 * Which adapter reads an image directory: IDX files when it holds them, else class subfolders of
 * image files (image-folder.ts). An image folder is its own whole set, training and held-out alike.
 */
export function readImageSet(dir: string, prefix: 'train' | 't10k', cfg: IdxDataConfig): ImageSet {
  return isImageFolder(dir) ? loadImageFolder(dir, cfg) : loadImageSet(dir, prefix);
}

function refusePartition(dir: string): void {
  if (isImageFolder(dir))
    throw new DataError(`${dir}: an image folder is a site's own data; simulated partitions split an IDX set`);
}

const partitions = new Map<string, number[][]>();

function rowsOf(set: ImageSet, dir: string, part?: SitePartition): number[] {
  if (!part) return Array.from({ length: set.count }, (_, i) => i);
  refusePartition(dir);
  const key = `${dir}|${part.scheme}|${part.clients}|${part.seed}|${part.alpha}|${part.shardsPerClient}|${part.labels}`;
  let all = partitions.get(key);
  if (!all) {
    all = partition(set.labels, part);
    partitions.set(key, all);
  }
  const mine = all[part.index];
  if (!mine) throw new DataError(`partition index ${part.index} is outside 0..${part.clients - 1}`);
  return mine;
}

export function encodeImages(set: ImageSet, rows: number[], size: number): Examples {
  const x = new Float32Array(rows.length * size);
  const y = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    const src = set.images.subarray(r * size, (r + 1) * size);
    for (let j = 0; j < size; j++) x[k * size + j] = src[j]! / 255;
    y[k] = set.labels[r]!;
  });
  return { x, y, n: rows.length };
}

function checkShape(set: ImageSet, cfg: IdxDataConfig, dir: string): number {
  const [h, w, c] = cfg.imageShape;
  if (set.size !== h * w * c)
    throw new DataError(`${dir}: images have ${set.size} values, data.imageShape says ${h}x${w}x${c}`, 'BAD_IDX');
  return set.size;
}

export function loadImageSite(dir: string, cfg: IdxDataConfig, part?: SitePartition): SiteData {
  const set = readImageSet(dir, 'train', cfg);
  const size = checkShape(set, cfg, dir);
  const rows = rowsOf(set, dir, part);
  const split = stratifiedSplit(
    rows.map((r) => set.labels[r]!),
    cfg.testFraction,
    cfg.splitSeed,
  );
  return {
    train: encodeImages(
      set,
      split.train.map((i) => rows[i]!),
      size,
    ),
    test: encodeImages(
      set,
      split.test.map((i) => rows[i]!),
      size,
    ),
    featureNames: [],
    classes: cfg.classes,
  };
}

/** The held-out test set of an image directory (t10k files, or a whole image folder), for central evaluation. */
export function loadImageTestSet(dir: string, cfg: IdxDataConfig): Examples {
  const set = readImageSet(dir, 't10k', cfg);
  const size = checkShape(set, cfg, dir);
  return encodeImages(
    set,
    Array.from({ length: set.count }, (_, i) => i),
    size,
  );
}

export function partitionSize(dir: string, part?: SitePartition): number {
  if (!part) return isImageFolder(dir) ? countFolderImages(dir) : countImages(dir);
  refusePartition(dir);
  const set = loadImageSet(dir, 'train');
  return rowsOf(set, dir, part).length;
}
