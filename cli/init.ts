// `accord init NAME`: a new project in ./NAME with an experiment, sample data per site, a site policy,
// a README and tests of its own (cli/init/templates.ts), depending on the Accord installation it ran from.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { PACKAGE_ROOT } from '../shared/package-root.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';
import { scaffold } from './init/templates.js';

/** The range of one of Accord's own dev dependencies, so the project tests with what Accord tests with. */
function rangeOf(dep: string, fallback: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return pkg.devDependencies?.[dep] ?? pkg.dependencies?.[dep] ?? fallback;
}

function intFlag(flag: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ConfigError(`${flag}: expected a whole number from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('init <name>')
    .description(DESCRIPTIONS['init'])
    .option('--sites <n>', 'sites with sample data', intFlag('--sites', 2, 26), 3)
    .option('--rows <n>', 'rows of sample data per site', intFlag('--rows', 50, 100_000), 300)
    .action(
      action(async (name: string, o: { sites: number; rows: number }) => {
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(name))
          throw new ConfigError(
            `init: "${name}" is not a project name (lower-case letters, digits, '.', '_' and '-'; npm's rules)`,
          );
        const dir = path.resolve(name);
        if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
          throw new ConfigError(`init: ${dir} exists and is not empty; choose another name`);
        const files = scaffold({
          name,
          sites: o.sites,
          rows: o.rows,
          // Not on the registry yet: the project uses the installation this command ran from.
          accord: `file:${PACKAGE_ROOT}`,
          devDependencies: { vitest: rangeOf('vitest', '^4.1.0'), yaml: rangeOf('yaml', '^2.9.1') },
        });
        for (const [file, text] of Object.entries(files)) {
          fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          fs.writeFileSync(path.join(dir, file), text);
        }
        process.stdout.write(
          `made ${name}/ (${o.sites} sites with sample data, experiment.yaml, site-policy.yaml, tests)\n\n  cd ${name}\n  npm install\n  npm run simulate\n  npm test\n`,
        );
      }),
    );
}
