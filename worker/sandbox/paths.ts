// Which paths a sandboxed app may read and write, checked and put in canonical form before a run. Paths
// are resolved to their real location first: Node's permission model and the bind mounts both act on
// real paths, and a symbolic link the caller did not mean could otherwise widen what the app can read.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../shared/errors/index.js';

/** What a run may touch: every path absolute, real (no symbolic links) and existing. */
export interface SandboxPaths {
  /** The app's folder (read-only) and the module in it the bootstrap imports. */
  appDir: string;
  entry: string;
  /** Data files or folders the app may read (read-only); none nested in another of them. */
  reads: string[];
  /** The one folder the app may write (and read). */
  scratchDir: string;
  /** The site's trusted host module, if any (read-only). */
  host?: string;
}

/**
 * What the namespace's minimal root holds besides the run's own paths, read-only: the system libraries
 * and node itself, and the device files node opens. Those absent here are left out.
 */
export function systemPaths(execPath: string): string[] {
  const wanted = ['/usr', '/lib', '/lib64', '/lib32', '/libx32', '/etc/ld.so.cache'];
  const node = real(execPath);
  const present = wanted.filter((p) => fs.existsSync(p));
  if (node && !present.some((p) => within(node, p))) present.push(node);
  return present;
}

/** Device files bound into the minimal root (read-write as devices; they hold no data). */
export const DEVICE_PATHS: readonly string[] = ['/dev/null', '/dev/zero', '/dev/urandom', '/dev/random'];

/** Whether `p` is `dir` or inside it (both absolute and normalised). */
export function within(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `paths` without those inside another of them (binding the outer one already shows them), sorted. */
export function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => within(p, k))) kept.push(p);
  return kept;
}

function real(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function existing(p: string, what: string): string {
  if (!path.isAbsolute(p)) throw new ConfigError(`sandbox: ${what} must be an absolute path, not ${p}`);
  const r = real(p);
  if (!r) throw new ConfigError(`sandbox: ${what} ${p} does not exist`);
  return r;
}

/**
 * The run's paths in canonical form, or a ConfigError: each must exist; the entry must lie inside the
 * app's folder; the scratch folder must be a folder that neither holds nor lies inside anything the app
 * may only read (else a read-only path would be writable, or the writable one hidden under a read-only
 * mount).
 */
export function checkPaths(o: {
  appDir: string;
  entry: string;
  reads?: readonly string[];
  scratchDir: string;
  host?: string | undefined;
}) {
  const appDir = existing(o.appDir, 'app folder');
  if (!fs.statSync(appDir).isDirectory()) throw new ConfigError(`sandbox: app folder ${appDir} is not a folder`);
  const entry = existing(path.resolve(appDir, o.entry), 'app entry');
  if (!within(entry, appDir) || !fs.statSync(entry).isFile())
    throw new ConfigError(`sandbox: the app entry ${o.entry} must be a file inside the app folder`);
  const reads = (o.reads ?? []).map((p) => existing(p, 'data path'));
  const scratchDir = existing(o.scratchDir, 'scratch folder');
  if (!fs.statSync(scratchDir).isDirectory())
    throw new ConfigError(`sandbox: scratch folder ${scratchDir} is not a folder`);
  for (const r of [appDir, ...reads, ...systemPaths(process.execPath)]) {
    if (within(scratchDir, r) || within(r, scratchDir))
      throw new ConfigError(`sandbox: the scratch folder ${scratchDir} overlaps the read-only path ${r}`);
  }
  const host = o.host === undefined ? undefined : existing(o.host, 'host module');
  for (const r of host ? [host] : []) {
    if (within(scratchDir, r) || within(r, scratchDir))
      throw new ConfigError(`sandbox: the scratch folder ${scratchDir} overlaps the read-only path ${r}`);
  }
  const paths: SandboxPaths = { appDir, entry, reads: outermost(reads), scratchDir, ...(host ? { host } : {}) };
  return paths;
}
