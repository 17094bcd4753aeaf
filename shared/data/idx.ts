// IDX adapter (the MNIST file format, gzipped or not): big-endian header, then raw values.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DataError } from '../errors/index.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX buffer of unsigned bytes (type 0x08), the type every MNIST-style set uses. */
export function parseIdx(raw: Uint8Array, source = 'idx'): IdxArray {
  const buf =
    raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.byteLength < 4 || buf[0] !== 0 || buf[1] !== 0)
    throw new DataError(`${source}: not an IDX file (bad magic)`, 'BAD_IDX');
  if (buf[2] !== 0x08)
    throw new DataError(
      `${source}: IDX type 0x${buf[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`,
      'BAD_IDX',
    );
  const ndims = buf[3]!;
  if (ndims < 1 || buf.byteLength < 4 + 4 * ndims) throw new DataError(`${source}: IDX header is truncated`, 'BAD_IDX');
  const dims = Array.from({ length: ndims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndims;
  if (buf.byteLength - start !== count)
    throw new DataError(
      `${source}: IDX body has ${buf.byteLength - start} bytes, the header promises ${count}`,
      'BAD_IDX',
    );
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

/** Finds DIR/NAME or DIR/NAME.gz. */
export function idxPath(dir: string, name: string): string {
  for (const p of [path.join(dir, name), path.join(dir, `${name}.gz`)]) if (fs.existsSync(p)) return p;
  throw new DataError(`${dir}: neither ${name} nor ${name}.gz found`, 'MISSING_FILE');
}

export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Values per image (height x width x channels). */
  size: number;
  dims: number[];
}

const cache = new Map<string, ImageSet>();

/** Loads DIR/{prefix}-images-idx3-ubyte[.gz] and the matching labels, once per process. */
export function loadImageSet(dir: string, prefix: 'train' | 't10k'): ImageSet {
  const key = `${path.resolve(dir)}|${prefix}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const imgFile = idxPath(dir, `${prefix}-images-idx3-ubyte`);
  const lblFile = idxPath(dir, `${prefix}-labels-idx1-ubyte`);
  const img = parseIdx(fs.readFileSync(imgFile), imgFile);
  const lbl = parseIdx(fs.readFileSync(lblFile), lblFile);
  if (img.dims[0] !== lbl.dims[0])
    throw new DataError(`${dir}: ${img.dims[0]} images but ${lbl.dims[0]} labels`, 'BAD_IDX');
  const set = {
    images: img.data,
    labels: lbl.data,
    count: img.dims[0]!,
    size: img.dims.slice(1).reduce((a, b) => a * b, 1),
    dims: img.dims.slice(1),
  };
  cache.set(key, set);
  return set;
}

/** How many images a directory holds (what a worker declares), from the label file's header. */
export function countImages(dir: string): number {
  const f = idxPath(dir, 'train-labels-idx1-ubyte');
  return parseIdx(fs.readFileSync(f), f).dims[0]!;
}
