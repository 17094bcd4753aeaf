// What a site declares when it connects: its name, token, backend and one data set by name and row
// count. Never rows, never column values.
import fs from 'node:fs';
import path from 'node:path';
import { countRows } from '../shared/data/csv';
import { partitionSize } from '../shared/data/images';
import type { BackendChoice } from '../shared/models/backend';
import type { WorkerMessage } from '../shared/protocol/load';
import type { WorkerOptions } from './options';

export const ACCORD_VERSION = '0.1.0';

export function helloFor(opts: WorkerOptions, backend: BackendChoice): NonNullable<WorkerMessage['hello']> {
  const rows = fs.statSync(opts.dataFile).isDirectory()
    ? partitionSize(opts.dataFile, opts.partition)
    : countRows(opts.dataFile);
  const part = opts.partition ? `#${opts.partition.scheme}-${opts.partition.index}` : '';
  return {
    siteId: opts.site,
    token: opts.token,
    datasets: [{ name: path.basename(opts.dataFile) + part, examples: rows }],
    backend: backend.backend,
    version: ACCORD_VERSION,
    tfjsVersion: backend.tfjsVersion,
    device: backend.device,
  };
}
