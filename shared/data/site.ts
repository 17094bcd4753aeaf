// One site's data for one experiment, whatever its format: read with the experiment's schema, split,
// and prepared with site-local (or federated) statistics.
import type { DataConfig } from '../config/schema.js';
import { readCsvFile } from './csv.js';
import { prepareSite, type SiteData } from './features.js';
import { loadImageSite, type SitePartition } from './images.js';
import { loadSyntheticSite } from './synthetic.js';

export function loadSiteData(file: string, cfg: DataConfig, part?: SitePartition): SiteData {
  if (cfg.format === 'idx') return loadImageSite(file, cfg, part);
  if (cfg.format === 'synthetic') return loadSyntheticSite(cfg, part);
  return prepareSite(readCsvFile(file, cfg), cfg);
}
