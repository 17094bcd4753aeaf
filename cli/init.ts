// `accord init NAME [--template tabular|image]`: a new project in ./NAME with an experiment, an app
// (app/app.mjs), sample data per site, a site policy, a README and tests of its own (cli/init/templates.ts),
// depending on the Accord installation it ran from.
import fs from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { PACKAGE_ROOT } from '../shared/package-root.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';
import { scaffold, TEMPLATES, type Template } from './init/templates.js';

/** The range of one of Accord's own dev dependencies, so the project tests with what Accord tests with. */
function rangeOf(dep: string, fallback: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return pkg.devDependencies?.[dep] ?? pkg.dependencies?.[dep] ?? fallback;
}

// Commander reports an InvalidArgumentError as one line naming the option and its value; exit 2.
function intFlag(min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Sample data per site when --rows is not given: a few hundred images in all keep a simulation short. */
const DEFAULT_ROWS: Record<Template, number> = { tabular: 300, image: 90 };

function templateFlag(v: string): Template {
  if (!(TEMPLATES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected ${TEMPLATES.join(' or ')}`);
  return v as Template;
}

export function register(program: Command): void {
  program
    .command('init <name>')
    .description(DESCRIPTIONS['init'])
    .option('--sites <n>', 'sites with sample data', intFlag(2, 26), 3)
    .option(
      '--template <kind>',
      'what the project learns from: tabular (a CSV per site, an MLP) or image (PNGs in class folders per site, a small CNN)',
      templateFlag,
      'tabular',
    )
    .option(
      '--rows <n>',
      `rows of sample data per site (images with --template image; default ${DEFAULT_ROWS.tabular}, image ${DEFAULT_ROWS.image})`,
      intFlag(50, 100_000),
    )
    .action(
      action(async (name: string, o: { sites: number; rows?: number; template: Template }) => {
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(name))
          throw new ConfigError(
            `init: "${name}" is not a project name (lower-case letters, digits, '.', '_' and '-'; npm's rules)`,
          );
        const dir = path.resolve(name);
        if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
          throw new ConfigError(`init: ${dir} exists and is not empty; choose another name`);
        const rows = o.rows ?? DEFAULT_ROWS[o.template];
        const files = scaffold({
          name,
          template: o.template,
          sites: o.sites,
          rows,
          // Not on the registry yet: the project uses the installation this command ran from.
          accord: `file:${PACKAGE_ROOT}`,
          devDependencies: { vitest: rangeOf('vitest', '^4.1.0'), yaml: rangeOf('yaml', '^2.9.1') },
        });
        for (const [file, text] of Object.entries(files)) {
          fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          fs.writeFileSync(path.join(dir, file), text);
        }
        process.stdout.write(
          `made ${name}/ (${o.template}: ${o.sites} sites with sample data, experiment.yaml, app/, site-policy.yaml, tests)\n\n  cd ${name}\n  npm install\n  npm run simulate\n  npm test\n`,
        );
      }),
    );
}
