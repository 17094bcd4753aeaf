// The sample images of a scaffolded image project (`accord init NAME --template image`): per site, a
// folder of class folders of small grayscale PNGs (data.format idx reads them as an image folder,
// shared/data/image-folder.ts), made here from a seed so every project starts alike. Each image holds
// one bright bar, horizontal, vertical or diagonal, at a random place, over noise; non-IID on purpose:
// sites differ in how often each class occurs and in their scanner's brightness.
import { PNG } from 'pngjs';
import { rng } from '../../shared/random.js';

/** The classes, in label order: each site's class folders carry these names. */
export const IMAGE_LABELS = ['horizontal', 'vertical', 'diagonal'] as const;

/** Height, width, channels of every sample image. */
export const IMAGE_SHAPE: [number, number, number] = [8, 8, 1];

const clampByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** One image of class `cls` (an index of IMAGE_LABELS): its grayscale bytes, row by row. */
function pixels(cls: number, next: () => number, brightness: number): Buffer {
  const [h, w] = IMAGE_SHAPE;
  const at = Math.floor(next() * (cls === 2 ? 5 : h)); // the bar's row, column or diagonal
  const out = Buffer.alloc(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const on = cls === 0 ? y === at : cls === 1 ? x === at : x - y === at - 2;
      out[y * w + x] = clampByte(brightness + (on ? 80 : 0) + 100 * (next() - 0.5));
    }
  return out;
}

/** A grayscale PNG of `data` (IMAGE_SHAPE's height x width bytes). */
function png(data: Buffer): Uint8Array {
  const [h, w] = IMAGE_SHAPE;
  const image = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  image.data = data;
  return PNG.sync.write(image, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * `images` sample images of site number `site` (0, 1, ...) as files by path relative to the site's
 * folder: <class>/<nnn>.png.
 */
export function sampleSiteImages(site: number, images: number, seed = 1): Record<string, Uint8Array> {
  const next = rng(seed * 1000 + site);
  // Sites differ: each has more of one class than of the others, and its own brightness.
  const shares = IMAGE_LABELS.map((_, c) => (c === site % IMAGE_LABELS.length ? 2 : 1));
  const total = shares.reduce((a, b) => a + b, 0);
  const brightness = [40, 70, 20][site % 3]! + 5 * Math.floor(site / 3);
  const files: Record<string, Uint8Array> = {};
  IMAGE_LABELS.forEach((label, c) => {
    const n = Math.round((images * shares[c]!) / total);
    for (let k = 0; k < n; k++) files[`${label}/${String(k).padStart(3, '0')}.png`] = png(pixels(c, next, brightness));
  });
  return files;
}
