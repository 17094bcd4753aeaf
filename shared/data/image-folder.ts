// Image-folder adapter: a site's images as files, DIR/<class>/<image>.png (or .jpg/.jpeg), read into the
// same ImageSet an IDX set gives. A class folder's name is its label: a number 0..classes-1, or one of
// data.labels. Every image must have the experiment's imageShape (no resizing); pixels stay 0..255
// bytes, scaled to [0, 1] as IDX images are (images.ts).
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { IdxDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import type { ImageSet } from './idx.js';

const IMAGE = /\.(png|jpe?g)$/i;

function classFolders(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function imageFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** A folder with class subfolders and no IDX files: read as images, not IDX. */
export function isImageFolder(dir: string): boolean {
  const names = fs.readdirSync(dir);
  if (names.some((n) => n.includes('-idx3-ubyte') || n.includes('-idx1-ubyte'))) return false;
  return classFolders(dir).length > 0;
}

/** Images in the folder (what a site declares), without decoding them. */
export function countFolderImages(dir: string): number {
  return classFolders(dir).reduce((n, c) => n + imageFiles(path.join(dir, c)).length, 0);
}

type Shape = readonly [number, number, number];

function labelOf(dir: string, folder: string, cfg: IdxDataConfig): number {
  if (cfg.labels) {
    const i = cfg.labels.indexOf(folder);
    if (i >= 0) return i;
    throw new DataError(
      `${path.join(dir, folder)}: class folder "${folder}" is not one of data.labels (${cfg.labels.join(', ')})`,
      'DATA_INVALID',
    );
  }
  const n = /^\d+$/.test(folder) ? Number(folder) : NaN;
  if (n < cfg.classes) return n;
  throw new DataError(
    `${path.join(dir, folder)}: class folder "${folder}" is not a class: name class folders 0..${cfg.classes - 1}, or list their names in data.labels`,
    'DATA_INVALID',
  );
}

/** The channel count a PNG stores (before pngjs expands it to RGBA). */
function pngChannels(colorType: number, alpha: boolean): number {
  if (colorType === 0) return 1;
  if (colorType === 4) return 2;
  if (colorType === 3) return alpha ? 4 : 3;
  return colorType === 6 ? 4 : 3;
}

/** A JPEG's component count, from its frame header (1: grayscale, 3: colour). */
function jpegComponents(buf: Buffer): number {
  let i = 2;
  while (i + 4 < buf.length) {
    if (buf[i] !== 0xff) break;
    const marker = buf[i + 1]!;
    const len = buf.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return buf[i + 9] ?? 3;
    i += 2 + len;
  }
  return 3;
}

/** Decodes one file into HxWxC bytes, refusing any other shape. */
function decode(file: string, shape: Shape): Uint8Array {
  const buf = fs.readFileSync(file);
  let width: number;
  let height: number;
  let channels: number;
  let rgba: Uint8Array;
  try {
    if (/\.png$/i.test(file)) {
      const png = PNG.sync.read(buf);
      [width, height, channels, rgba] = [png.width, png.height, pngChannels(png.colorType, png.alpha), png.data];
    } else {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
      [width, height, channels, rgba] = [img.width, img.height, jpegComponents(buf), img.data];
    }
  } catch (e) {
    throw new DataError(`${file}: not a readable image (${(e as Error).message})`, 'DATA_INVALID');
  }
  const [h, w, c] = shape;
  if (height !== h || width !== w || channels !== c)
    throw new DataError(
      `${file}: image is ${height}x${width}x${channels}, data.imageShape says ${h}x${w}x${c} (height x width x channels; images are not resized)`,
      'DATA_INVALID',
    );
  const out = new Uint8Array(h * w * c);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[p * c + k] = rgba[p * 4 + k]!;
  return out;
}

const cache = new Map<string, ImageSet>();

/** Reads every image of DIR/<class>/, in class-folder then file-name order, once per process. */
export function loadImageFolder(dir: string, cfg: IdxDataConfig): ImageSet {
  const key = `${path.resolve(dir)}|${cfg.imageShape.join('x')}|${cfg.classes}|${(cfg.labels ?? []).join('/')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const shape = cfg.imageShape;
  const size = shape[0] * shape[1] * shape[2];
  const labels: number[] = [];
  const files: string[] = [];
  for (const folder of classFolders(dir)) {
    const label = labelOf(dir, folder, cfg);
    for (const f of imageFiles(path.join(dir, folder))) {
      files.push(path.join(dir, folder, f));
      labels.push(label);
    }
  }
  if (files.length === 0) throw new DataError(`${dir}: no .png or .jpg images in its class folders`, 'DATA_INVALID');
  const images = new Uint8Array(files.length * size);
  files.forEach((f, i) => {
    images.set(decode(f, shape), i * size);
  });
  const set: ImageSet = { images, labels: Uint8Array.from(labels), count: files.length, size, dims: [...shape] };
  cache.set(key, set);
  return set;
}
