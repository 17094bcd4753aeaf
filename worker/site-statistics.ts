// The column statistics a site releases for federated scaling: per-column count, sum and sum of
// squares over its own training rows (its own split, site-data.ts), each value clamped into the
// range the experiment declares for its column, and without the small or dominated cells its
// minimum withholds. What a coordinator sees is this, in clear or summed under secure aggregation.
import type { CsvDataConfig } from '../shared/config/schema.js';
import { type ColumnSums, siteColumnSums, suppressSmallCells } from '../shared/data/column-sums.js';
import { readTableFile } from '../shared/data/read-table.js';
import type { SiteSplit } from '../shared/data/split.js';
import { clampToRange } from '../shared/data/stats-check.js';

export interface ReleasedSums {
  sums: ColumnSums;
  /** Columns withheld (too few values, or one value dominating). */
  suppressed: string[];
}

/** What the site releases of `file` under `data` (the site's view of the experiment's settings). */
export function releasedColumnSums(file: string, data: CsvDataConfig, split: SiteSplit | undefined): ReleasedSums {
  // A value outside the declared range (a data-entry error, a unit the experiment did not expect) is
  // clamped into it here, so honest sums always pass the coordinator's range check.
  const sums = siteColumnSums(readTableFile(file, data), data, split, (c, v) => clampToRange(v, data.ranges?.[c]));
  return suppressSmallCells(sums, data.minCellCount);
}
