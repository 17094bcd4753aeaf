// Image folders: a site's images as DIR/<class>/<name>.png (or .jpg), read through the same dispatch as
// IDX sets, with class folders as labels, the experiment's imageShape enforced, and check-data's summary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type IdxDataConfig, idxDataSchema } from '../../shared/config/schema.js';
import { checkSiteData } from '../../shared/data/check.js';
import { loadImageSite, partitionSize, readImageSet } from '../../shared/data/images.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-image-folder-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A grayscale 4x4 PNG whose pixel p is (base + p * 10) % 256. */
function grayPng(file: string, base: number, size = 4): void {
  const png = new PNG({ width: size, height: size, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(Array.from({ length: size * size }, (_, p) => (base + p * 10) % 256));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** A folder with `perClass` images in each of the named class folders; image k of class c has base 50c + k. */
function folder(name: string, classes: string[], perClass = 3): string {
  const dir = path.join(root, name);
  classes.forEach((c, ci) => {
    for (let k = 0; k < perClass; k++) grayPng(path.join(dir, c, `img${k}.png`), 50 * ci + k);
  });
  return dir;
}

const cfg = (extra: Partial<IdxDataConfig> = {}): IdxDataConfig =>
  idxDataSchema.parse({ format: 'idx', classes: 2, imageShape: [4, 4, 1], testFraction: 0.3, ...extra });

describe('image folders', () => {
  it('reads <class>/<image>.png into labelled images scaled to [0, 1], as IDX images are', () => {
    const dir = folder('numeric', ['0', '1']);
    const set = readImageSet(dir, 'train', cfg());
    expect([set.count, set.size, set.dims]).toEqual([6, 16, [4, 4, 1]]);
    expect([...set.labels]).toEqual([0, 0, 0, 1, 1, 1]);
    // Class 1, image 2: base 52, pixel p = 52 + 10p.
    expect([...set.images.subarray(5 * 16, 5 * 16 + 3)]).toEqual([52, 62, 72]);
    const site = loadImageSite(dir, cfg());
    expect(site.train.n + site.test.n).toBe(6);
    expect(site.classes).toBe(2);
    const all = [...site.train.x, ...site.test.x];
    expect(Math.max(...all)).toBeLessThanOrEqual(1);
    // Every written value v appears as v / 255.
    expect(all).toContainEqual(Math.fround(52 / 255));
    expect(partitionSize(dir)).toBe(6);
  });

  it('maps named class folders through data.labels, in its order', () => {
    const dir = folder('named', ['cat', 'dog']);
    const set = readImageSet(dir, 'train', cfg({ labels: ['dog', 'cat'] }));
    expect([...set.labels]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(checkSiteData(dir, cfg({ labels: ['dog', 'cat'] })).classes).toEqual({ dog: 3, cat: 3 });
  });

  it('reads JPEG files too (grayscale to one channel)', () => {
    const dir = path.join(root, 'jpeg');
    for (const c of ['0', '1']) {
      const data = Buffer.alloc(4 * 4 * 4, c === '0' ? 30 : 200);
      fs.mkdirSync(path.join(dir, c), { recursive: true });
      fs.writeFileSync(path.join(dir, c, 'a.jpg'), jpeg.encode({ data, width: 4, height: 4 }, 100).data);
    }
    // jpeg-js writes 3 components: a colour image.
    expect(() => readImageSet(dir, 'train', cfg())).toThrow(/a\.jpg: image is 4x4x3, data\.imageShape says 4x4x1/);
    const set = readImageSet(dir, 'train', cfg({ imageShape: [4, 4, 3] }));
    expect(set.count).toBe(2);
    expect(Math.abs(set.images[0]! - 30)).toBeLessThan(4);
    expect(Math.abs(set.images[48]! - 200)).toBeLessThan(4);
  });

  it('refuses an image of another shape, naming the file and both shapes, and an unknown class folder', () => {
    const dir = folder('wrong-size', ['0', '1']);
    grayPng(path.join(dir, '1', 'big.png'), 0, 5);
    expect(() => readImageSet(dir, 'train', cfg())).toThrow(
      `${path.join(dir, '1', 'big.png')}: image is 5x5x1, data.imageShape says 4x4x1 (height x width x channels; images are not resized)`,
    );
    const unknown = folder('unknown', ['0', '1', '7']);
    expect(() => readImageSet(unknown, 'train', cfg())).toThrow(
      `${path.join(unknown, '7')}: class folder "7" is not a class: name class folders 0..1, or list their names in data.labels`,
    );
    const named = folder('unknown-named', ['cat', 'bird']);
    expect(() => readImageSet(named, 'train', cfg({ labels: ['cat', 'dog'] }))).toThrow(
      /unknown-named\/bird: class folder "bird" is not one of data\.labels \(cat, dog\)/,
    );
  });

  it('accord check-data prints a per-class summary for an image folder', () => {
    const dir = folder('cli', ['0', '1'], 4);
    const exp = path.join(root, 'exp.yaml');
    fs.writeFileSync(exp, 'data: { format: idx, classes: 2, imageShape: [4, 4, 1] }\n');
    const r = spawnSync(process.execPath, [...ACCORD_ARGV, 'check-data', '--config', exp, '--data', dir], {
      encoding: 'utf8',
      cwd: PACKAGE_ROOT,
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `${dir}: 8 images of 4x4x1; classes 0: 4, 1: 4\nok: the folder fits the experiment; nothing was sent anywhere\n`,
    );
  });
});
