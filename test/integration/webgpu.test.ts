// GPU kernels through webgpu (Dawn), as users meet them: `accord simulate --backend webgpu` on a machine
// where Dawn finds no adapter stops at once with Dawn's reason (one line, exit 2), and `--backend auto`
// falls back to wasm with report.json saying why webgpu was skipped. Where a GPU is lent, both run on it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeDawn } from '../../shared/models/webgpu.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';

const dawn = await probeDawn();
const gpu = dawn.ok && !dawn.fallback;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-webgpu-'));

function simulate(backend: string, out: string) {
  const args = ['simulate', '--backend', backend, '--dataset', 'heart-disease', '--rounds', '1', '--out', out];
  const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
    encoding: 'utf8',
    cwd: PACKAGE_ROOT,
    env: process.env,
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  backends: Record<string, string>;
  backendReasons?: Record<string, string>;
}
const readReport = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;

describe('simulate on webgpu', () => {
  it('--backend webgpu: one line naming webgpu and the reason Dawn gave, exit 2 (or, with a GPU, runs on it)', () => {
    const out = path.join(dir, 'webgpu');
    const r = simulate('webgpu', out);
    if (gpu) {
      expect(r.code, r.stderr).toBe(0);
      expect(new Set(Object.values(readReport(out).backends))).toEqual(new Set(['webgpu']));
      return;
    }
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`accord: --backend webgpu: ${dawn.ok ? '' : dawn.reason} [CONFIG_INVALID]`);
    // Nothing was started.
    expect(fs.existsSync(path.join(out, 'logs'))).toBe(false);
  });

  it("--backend auto: report.json records each site's backend and why webgpu was skipped", () => {
    const out = path.join(dir, 'auto');
    const r = simulate('auto', out);
    expect(r.code, r.stderr).toBe(0);
    const report = readReport(out);
    const sites = ['cleveland', 'hungary', 'switzerland', 'va'];
    expect(Object.keys(report.backends).sort()).toEqual(sites);
    const backends = new Set(Object.values(report.backends));
    if (backends.has('tensorflow')) return; // tfjs-node installed: the first choice, nothing skipped
    if (gpu) return expect(backends).toEqual(new Set(['webgpu']));
    expect(backends).toEqual(new Set(['wasm']));
    const why = dawn.ok ? `Dawn's adapter ${dawn.device} is a software fallback` : dawn.reason;
    for (const site of sites) expect(report.backendReasons?.[site]).toContain(`webgpu (${why})`);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain(`webgpu (${why})`);
  });
});
