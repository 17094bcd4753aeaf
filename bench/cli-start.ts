// How long `accord --help` takes against bare `node -e 0`, both measured here (median of 7 each):
// commands load only when they run (cli/index.ts), so help, status and submit do not pay for TF.js.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../shared/package-root.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

export function benchCliStart(runs = 7): { cliStartMs: number; bareNodeMs: number; ratio: number } | undefined {
  const bin = path.join(PACKAGE_ROOT, 'dist', 'bin', 'accord.js');
  if (!fs.existsSync(bin)) return undefined; // npm ci builds it (prepare)
  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timeMs(['-e', '0']));
    cli.push(timeMs([bin, '--help']));
  }
  const cliStartMs = median(cli);
  const bareNodeMs = median(bare);
  return { cliStartMs, bareNodeMs, ratio: cliStartMs / bareNodeMs };
}
