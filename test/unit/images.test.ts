import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countImages, loadImageSet, parseIdx } from '../../shared/data/idx.js';
import { loadImageSite } from '../../shared/data/images.js';
import { dirichletPartition, iidPartition, shardsPartition } from '../../shared/data/partition.js';
import { rocAuc } from '../../shared/models/train.js';
import { FASHION_MNIST_DIR } from '../../simulation/datasets.js';
import { missingTool, runsWith } from '../helpers/optional.js';

function idx(dims: number[], body: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, Buffer.from(body)]);
}

describe('IDX adapter', () => {
  it('parses plain and gzipped files', () => {
    const raw = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const b of [raw, zlib.gzipSync(raw)]) {
      const a = parseIdx(b);
      expect(a.dims).toEqual([2, 2, 2]);
      expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('refuses bad magic, unsupported types and truncated bodies, naming the file', () => {
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4]), 'x.idx')).toThrow(/x\.idx: not an IDX file/);
    const f64 = idx([1], [0]);
    f64[2] = 0x0d;
    expect(() => parseIdx(f64, 'y')).toThrow(/IDX type 0xd is not supported/);
    expect(() => parseIdx(idx([3], [1, 2]), 'z')).toThrow(/z: IDX body has 2 bytes, the header promises 3/);
  });

  it.runIf(runsWith('fashion-mnist'))(
    'reads Fashion-MNIST from the Debian package (60,000 + 10,000 images of 28x28)',
    () => {
      expect(missingTool('fashion-mnist')).toBeUndefined();
      const train = loadImageSet(FASHION_MNIST_DIR, 'train');
      const test = loadImageSet(FASHION_MNIST_DIR, 't10k');
      expect([train.count, train.dims]).toEqual([60000, [28, 28]]);
      expect(test.count).toBe(10000);
      expect(countImages(FASHION_MNIST_DIR)).toBe(60000);
      expect(new Set(train.labels).size).toBe(10);
    },
  );
});

describe('partitioners', () => {
  const labels = Array.from({ length: 60000 }, (_, i) => Math.floor(i / 6000)); // 10 classes x 6000

  const check = (parts: number[][], n: number) => {
    const all = parts.flat();
    expect(all.length).toBe(n);
    expect(new Set(all).size).toBe(n); // disjoint and complete
  };

  it('IID: equal shares, every class everywhere', () => {
    const parts = iidPartition(60000, 100, 1);
    check(parts, 60000);
    expect(parts.every((p) => p.length === 600)).toBe(true);
    expect(new Set(parts[7]!.map((i) => labels[i])).size).toBe(10);
  });

  it("McMahan's shards: 200 shards of 300, two per client, at most two classes each", () => {
    const parts = shardsPartition(labels, 100, 2, 1);
    check(parts, 60000);
    expect(parts.every((p) => p.length === 600)).toBe(true);
    expect(parts.every((p) => new Set(p.map((i) => labels[i])).size <= 2)).toBe(true);
    expect(shardsPartition(labels, 100, 2, 1)).toEqual(parts);
  });

  it('Dirichlet: smaller alpha, more skewed label mixes', () => {
    const skew = (alpha: number) => {
      const parts = dirichletPartition(labels, 20, alpha, 3);
      check(parts, 60000);
      // mean share of each client's most common label
      return (
        parts.reduce((a, p) => {
          const counts = new Map<number, number>();
          for (const i of p) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
          return a + (p.length ? Math.max(...counts.values()) / p.length : 0);
        }, 0) / parts.length
      );
    };
    expect(skew(0.1)).toBeGreaterThan(skew(100) + 0.3);
  });

  it.runIf(runsWith('fashion-mnist'))('a site loads only its partition, split into local train and test', () => {
    const site = loadImageSite(
      FASHION_MNIST_DIR,
      { format: 'idx', classes: 10, imageShape: [28, 28, 1], testFraction: 0.1, splitSeed: 42 },
      { scheme: 'shards', clients: 100, seed: 1, index: 5 },
    );
    expect(site.train.n + site.test.n).toBe(600);
    expect(site.train.x.length).toBe(site.train.n * 784);
    expect(site.train.x.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(1);
    expect(new Set([...site.train.y, ...site.test.y]).size).toBeLessThanOrEqual(2);
  });
});

describe('evaluation metrics', () => {
  it('ROC AUC by ranks, ties averaged', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 10);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBeCloseTo(0.5, 10);
    expect(rocAuc([0.2, 0.9], [1, 1])).toBeNaN();
  });
});
