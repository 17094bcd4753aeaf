// One site's data for one experiment: read with the experiment's schema, split, imputed and scaled locally.
import type { DataConfig } from '../config/schema';
import { readCsvFile } from './csv';
import { prepareSite, type SiteData } from './features';

export function loadSiteData(file: string, cfg: DataConfig): SiteData {
  return prepareSite(readCsvFile(file, cfg), cfg);
}
