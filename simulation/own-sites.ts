// Your own data in `accord simulate --config`: the sites and their data files, from repeated
// `--site NAME=PATH` flags or a `--sites FILE` (YAML: site name -> path). Every problem is one line
// naming the flag, the entry and the path.
import fs from 'node:fs';
import path from 'node:path';
import { parseYaml } from '../shared/config/yaml.js';
import { ConfigError } from '../shared/errors/index.js';
import { SITE_ID, SITE_RULE } from '../shared/protocol/site-id.js';

/** Why `site` cannot name a simulated site (its files go under OUT/sites/<site>/), or undefined. */
export function badSiteName(site: string): string | undefined {
  if (!SITE_ID.test(site)) return `${JSON.stringify(site)} is not a site name: ${SITE_RULE}`;
  if (site === '.' || site === '..') return `${JSON.stringify(site)} is not a site name: not . or ..`;
  return undefined;
}

/** The absolute path of `file` (relative to `base`), or an error naming `where` when it does not exist. */
function existing(where: string, file: string, base: string): string {
  const abs = path.resolve(base, file);
  if (!fs.existsSync(abs)) throw new ConfigError(`${where}: no such file: ${abs}`);
  return abs;
}

/** `--site NAME=PATH`, repeated -> site -> absolute path (relative paths from the working directory). */
export function parseSiteFlags(entries: readonly string[]): Record<string, string> {
  const sites: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) throw new ConfigError(`--site ${entry}: expected NAME=PATH`);
    const site = entry.slice(0, eq);
    const why = badSiteName(site);
    if (why) throw new ConfigError(`--site ${entry}: ${why}`);
    if (site in sites) throw new ConfigError(`--site ${entry}: site ${site} is named twice`);
    sites[site] = existing(`--site ${entry}`, entry.slice(eq + 1), process.cwd());
  }
  return sites;
}

/** `--sites FILE`: a YAML mapping site -> path; relative paths are read from the file's folder. */
export function readSitesFile(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(
      `--sites ${file}: ${err.code ? `cannot read: ${err.code}` : `not valid YAML: ${err.message}`}`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`--sites ${file}: expected a mapping of site name to data file, e.g. "hospital-a: a.csv"`);
  const base = path.dirname(path.resolve(file));
  const sites: Record<string, string> = {};
  for (const [site, value] of Object.entries(raw)) {
    const why = badSiteName(site);
    if (why) throw new ConfigError(`--sites ${file}: ${why}`);
    if (typeof value !== 'string' || !value)
      throw new ConfigError(`--sites ${file}: ${site}: expected the path of its data file`);
    sites[site] = existing(`--sites ${file}: ${site}`, value, base);
  }
  return sites;
}
