// TF.js is most of a start-up (about 0.8 s here): `accord --help`, `status`, `submit` and a coordinator
// up to its first listen must not load it (a restarted coordinator takes its sites back sooner). A child
// process imports the modules and counts the TF.js files Node loaded.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** How many @tensorflow files are loaded after importing `modules` (paths from the package root). */
function tfFilesAfter(...modules: string[]): number {
  const probe = `
    import { createRequire } from 'node:module';
    const require = createRequire(process.cwd() + '/');
    for (const m of ${JSON.stringify(modules)}) await import(process.cwd() + '/' + m);
    process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('@tensorflow')).length));
  `;
  const r = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', probe], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout);
}

describe('lazy TF.js', () => {
  it('the CLI entry, status, submit and the coordinator up to its first listen do not load it', () => {
    expect(
      tfFilesAfter('cli/index.ts', 'cli/status.ts', 'cli/submit.ts', 'cli/coordinator.ts', 'coordinator/server.ts'),
    ).toBe(0);
  });

  it('the probe sees it where it is loaded (accord simulate)', () => {
    expect(tfFilesAfter('cli/simulate.ts')).toBeGreaterThan(0);
  });
});
