// What the model sees of any data set: input size and classes, from the config alone (no data needed).
import type { DataConfig } from '../config/schema.js';
import { csvClassCount, featureNames } from './features.js';

export function inputNames(data: DataConfig): string[] {
  if (data.format === 'csv') return featureNames(data);
  if (data.format === 'synthetic') return Array.from({ length: data.dimensions }, (_, i) => `x${i}`);
  const [h, w, c] = data.imageShape;
  return Array.from({ length: h * w * c }, (_, i) => `px${i}`);
}

export function inputSize(data: DataConfig): number {
  if (data.format === 'csv') return featureNames(data).length;
  if (data.format === 'synthetic') return data.dimensions;
  const [h, w, c] = data.imageShape;
  return h * w * c;
}

export function classCount(data: DataConfig): number {
  return data.format === 'csv' ? csvClassCount(data) : data.classes;
}
