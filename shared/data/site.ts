// One site's data for one experiment, whatever its format: read with the experiment's schema, split,
// and prepared with site-local (or federated) statistics.
import type { DataConfig } from '../config/schema';
import { readCsvFile } from './csv';
import { prepareSite, type SiteData } from './features';
import { loadImageSite, type SitePartition } from './images';

export function loadSiteData(file: string, cfg: DataConfig, part?: SitePartition): SiteData {
  if (cfg.format === 'idx') return loadImageSite(file, cfg, part);
  return prepareSite(readCsvFile(file, cfg), cfg);
}
