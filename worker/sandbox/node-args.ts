// The node half of the sandbox: the flags that start the child under node's permission model with the
// bootstrap (bootstrap.ts) as its only script. Pure.
import { BOOTSTRAP_SOURCE } from './bootstrap.js';
import type { SandboxPaths } from './paths.js';

/**
 * The permission flag of this node: `--permission` from 22.13 and 23.5, `--experimental-permission`
 * before (20.x, which the project supports).
 */
export function permissionFlag(version = process.versions.node): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13)
    ? '--permission'
    : '--experimental-permission';
}

/**
 * Node's arguments (after its path) for one run: read the app, the data and the scratch folder; write
 * the scratch folder; no child processes, no worker threads, no native addons (none is allowed: no
 * --allow-child-process, --allow-worker or --allow-addons); the V8 heap capped at `heapMB`; warnings
 * off (the permission model's "experimental" warning would fill every log). One flag per path: node
 * 20.20 no longer splits a comma-separated list.
 */
export function nodeArgs(paths: SandboxPaths, exportName: string, heapMB: number): string[] {
  const reads = [paths.appDir, ...paths.reads, ...(paths.host ? [paths.host] : []), paths.scratchDir];
  return [
    permissionFlag(),
    ...reads.map((p) => `--allow-fs-read=${p}`),
    `--allow-fs-write=${paths.scratchDir}`,
    '--no-addons',
    '--no-warnings',
    `--max-old-space-size=${heapMB}`,
    '--input-type=module',
    '--eval',
    BOOTSTRAP_SOURCE,
    paths.entry,
    exportName,
    ...(paths.host ? [paths.host] : []),
  ];
}
