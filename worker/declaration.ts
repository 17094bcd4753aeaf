// What a site declares when it connects: its name, token, backend and one data set by name and row
// count. Never rows, never column values, never the data file's path or name (unless the site names
// the data set itself with --dataset-name).
import fs from 'node:fs';
import { partitionSize } from '../shared/data/images.js';
import { countTableRows } from '../shared/data/read-table.js';
import { syntheticRows } from '../shared/data/synthetic.js';
import type { BackendChoice } from '../shared/models/backend.js';
import type { WorkerMessage } from '../shared/protocol/load.js';
import type { WorkerOptions } from './options.js';

export const ACCORD_VERSION = '0.1.0';

/** Rows in the site's data (a partition's size for a simulated site). */
export function declaredRows(opts: WorkerOptions): number {
  if (opts.partition?.scheme === 'synthetic') return syntheticRows(opts.partition);
  return fs.statSync(opts.dataFile).isDirectory()
    ? partitionSize(opts.dataFile, opts.partition)
    : countTableRows(opts.dataFile);
}

export function helloFor(opts: WorkerOptions, backend: BackendChoice): NonNullable<WorkerMessage['hello']> {
  const rows = declaredRows(opts);
  const part = opts.partition ? `#${opts.partition.scheme}-${opts.partition.index}` : '';
  const name =
    opts.datasetName ??
    (opts.partition?.scheme === 'synthetic'
      ? 'synthetic'
      : fs.statSync(opts.dataFile).isDirectory()
        ? 'images'
        : 'records');
  return {
    siteId: opts.site,
    token: opts.token,
    datasets: [{ name: name + part, examples: rows }],
    backend: backend.backend,
    version: ACCORD_VERSION,
    tfjsVersion: backend.tfjsVersion,
    device: backend.device,
    backendReason: backend.reason,
  };
}
