// One site's data for one experiment, whatever its format: read with the experiment's schema, split,
// and prepared with site-local (or federated) statistics.
import type { DataConfig } from '../config/schema.js';
import { prepareSite, type SiteData } from './features.js';
import { loadImageSite, type SitePartition } from './images.js';
import { readTableFile } from './read-table.js';
import { type SiteSplit, seedOfKey } from './split.js';
import { loadSyntheticSite } from './synthetic.js';

/** `own`: the site's own split (split.ts); image folders take its fraction and a seed from its key. */
export function loadSiteData(file: string, cfg: DataConfig, part?: SitePartition, own?: SiteSplit): SiteData {
  if (cfg.format === 'idx')
    return loadImageSite(
      file,
      own ? { ...cfg, testFraction: own.testFraction, splitSeed: seedOfKey(own.key) } : cfg,
      part,
    );
  if (cfg.format === 'synthetic') return loadSyntheticSite(cfg, part);
  return prepareSite(readTableFile(file, cfg), cfg, own);
}
