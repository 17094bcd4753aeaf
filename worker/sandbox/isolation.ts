// Whether this machine can give a sandboxed app the namespaces (namespace.ts): found out once per
// process by running the real set-up with node inside, and kept. Unprivileged user namespaces can be
// off (kernel.unprivileged_userns_clone=0, AppArmor's restrict_unprivileged_userns, a container's
// seccomp profile), util-linux can be missing, and the OS can be other than Linux: then 'none', with
// the reason, and a caller that requires network isolation refuses to run apps (run.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { namespaceArgv } from './namespace.js';
import { DEVICE_PATHS, systemPaths } from './paths.js';

export type IsolationKind = 'namespace' | 'none';

export interface Isolation {
  kind: IsolationKind;
  /** Why 'none' (what failed), or what 'namespace' is made of. */
  reason: string;
  /** The programs the namespace set-up runs, when kind is 'namespace'. */
  tools?: { unshare: string; sh: string };
}

/** `name` on PATH (or in the usual system folders), else undefined. */
export function findProgram(name: string, pathVar = process.env['PATH'] ?? ''): string | undefined {
  const dirs = [...pathVar.split(path.delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

// Inside the namespaces: no interface may carry an address (a fresh network namespace has a loopback
// that is down), and the old root must be gone.
const PROBE = `const os = require('node:os'); const fs = require('node:fs');
const up = Object.values(os.networkInterfaces()).flat().length;
process.exit(up === 0 && !fs.existsSync('/etc/passwd') ? 0 : 3);`;

function probe(): Isolation {
  if (process.platform !== 'linux') return { kind: 'none', reason: `namespaces need Linux, not ${process.platform}` };
  const tools = { unshare: findProgram('unshare'), sh: findProgram('sh') };
  for (const name of ['mount', 'umount', 'pivot_root', 'setpriv']) {
    if (!findProgram(name)) return { kind: 'none', reason: `${name} is not installed (util-linux)` };
  }
  if (!tools.unshare || !tools.sh) return { kind: 'none', reason: 'unshare is not installed (util-linux)' };
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-sandbox-probe-'));
  try {
    const argv = namespaceArgv(
      { unshare: tools.unshare, sh: tools.sh },
      { mountPoint, readOnly: systemPaths(process.execPath), readWrite: DEVICE_PATHS, cwd: '/' },
      [process.execPath, '--eval', PROBE],
    );
    const r = spawnSync(argv[0]!, argv.slice(1), { env: {}, encoding: 'utf8', timeout: 30_000 });
    if (r.error) return { kind: 'none', reason: `unshare could not run: ${r.error.message}` };
    if (r.status !== 0) {
      const why = (r.stderr || '').trim().split('\n').slice(-2).join(' / ') || `exit code ${r.status}`;
      return {
        kind: 'none',
        reason: `user, network and mount namespaces are not available here (unshare -rmn: ${why.slice(0, 300)})`,
      };
    }
    return {
      kind: 'namespace',
      reason: 'user, network and mount namespaces: no network, a minimal read-only root, no capabilities',
      tools: { unshare: tools.unshare, sh: tools.sh },
    };
  } finally {
    fs.rmdirSync(mountPoint);
  }
}

let cached: Isolation | undefined;

/**
 * What isolation a sandboxed app gets on this machine: 'namespace' (network cut, minimal root) or
 * 'none' (node's permission model alone, sockets open), with the reason. Found out once (about 0.1 s,
 * synchronous) and kept for the process.
 */
export function networkIsolation(): Isolation {
  cached ??= probe();
  return cached;
}
