// Symbolic links in the app's folder. Node's permission model follows them: a link inside an allowed
// folder to a file outside it is read as if it were inside (node 20 documents this). An app ships its own
// folder, so it could ship such a link; the namespaces' minimal root has no target for it, but without
// them it would open any file the worker can read. So a link that leads out of what the app may read
// anyway is refused before the run. (The app cannot make links itself: fs.symlink needs unrestricted
// read and write, and fs.link read access to its source.)
import fs from 'node:fs';
import path from 'node:path';
import { SandboxError } from '../../shared/errors/index.js';
import { within } from './paths.js';

/** The first link under `dir` whose target lies outside every folder of `allowed`, as [link, target]. */
export function linkOut(dir: string, allowed: readonly string[]): [string, string] | undefined {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isSymbolicLink()) {
        const target = path.resolve(d, fs.readlinkSync(p));
        let real = target;
        try {
          real = fs.realpathSync(target);
        } catch {} // dangling: judged by where it points
        if (!allowed.some((a) => within(real, a))) return [p, real];
      }
    }
  }
  return undefined;
}

/** Throws SANDBOX_DENIED when the app's folder holds a link out of what the app may read. */
export function refuseLinksOut(appDir: string, allowed: readonly string[]): void {
  const out = linkOut(appDir, allowed);
  if (out) {
    throw new SandboxError(
      `the app's folder holds a symbolic link out of what the app may read: ${out[0]} -> ${out[1]}`,
      'SANDBOX_DENIED',
    );
  }
}
