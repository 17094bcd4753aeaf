// The files of a scaffolded project (`accord init NAME`): an experiment, the sites' data and a site
// policy, a README and tests of its own. Pure: the command writes what these return.
import YAML from 'yaml';
import { SAMPLE_COLUMNS, SAMPLE_RANGES, sampleSiteCsv } from './sample-data.js';

export interface ScaffoldOptions {
  /** The project's name (its folder and package name). */
  name: string;
  /** How many sites get sample data. */
  sites: number;
  /** Rows of sample data per site. */
  rows: number;
  /** The Accord installation the project depends on (`file:` spec or a version range). */
  accord: string;
  /** Version ranges of the project's own dev dependencies (vitest for its tests, yaml for its scripts). */
  devDependencies: { vitest: string; yaml: string };
}

const siteName = (i: number) => `site-${String.fromCharCode(97 + i)}`;

function experimentYaml(o: ScaffoldOptions): string {
  const experiment = {
    name: o.name,
    model: { zoo: 'logreg' },
    data: {
      format: 'csv',
      header: true,
      columns: [...SAMPLE_COLUMNS],
      label: 'outcome',
      classes: 2,
      scaling: 'federated',
      ranges: SAMPLE_RANGES,
      testFraction: 0.3,
    },
    rounds: 10,
    clients: { min: o.sites, fraction: 1 },
    train: { epochs: 5, batchSize: 32, learningRate: 0.1, optimizer: 'sgd' },
    strategy: { name: 'fedavg' },
    seed: 1,
  };
  return `# The experiment every site approves before it trains (docs: reference.md, "Experiment file").
# Try it here: npm run simulate. Submit it to a real federation: npx accord submit experiment.yaml --redis URL
${YAML.stringify(experiment)}`;
}

function sitesYaml(o: ScaffoldOptions): string {
  const sites = Object.fromEntries(Array.from({ length: o.sites }, (_, i) => [siteName(i), `data/${siteName(i)}.csv`]));
  return `# One CSV per site, for accord simulate --sites (paths relative to this file). Replace them with your own.\n${YAML.stringify(sites)}`;
}

const POLICY = `# What each site will run and send, whatever an experiment asks (accord worker --policy; docs: privacy.md).
allowedModels: [logreg, mlp]
maxRounds: 100
minSitesPerRound: 3
autoApprove: false # a person approves each experiment with accord approve
data:
  minCellCount: 5 # no column statistics from fewer values than this
metrics: { decimals: 2, minTestRows: 10 }
`;

function packageJson(o: ScaffoldOptions): string {
  const sites = '--config experiment.yaml --sites sites.yaml';
  return `${JSON.stringify(
    {
      name: o.name,
      private: true,
      type: 'module',
      scripts: {
        simulate: `accord simulate ${sites} --rounds 3 --baselines --out runs/latest`,
        check: `node scripts/check-data.mjs`,
        test: 'vitest run',
      },
      dependencies: { 'accord-fl': o.accord },
      devDependencies: o.devDependencies,
    },
    null,
    2,
  )}\n`;
}

const CHECK_SCRIPT = `// npm run check: each site's file against the experiment, as a hospital checks its own before joining.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import YAML from 'yaml';

const sites = YAML.parse(fs.readFileSync('sites.yaml', 'utf8'));
for (const [site, file] of Object.entries(sites)) {
  process.stdout.write(\`== \${site}\\n\`);
  execFileSync('npx', ['--no-install', 'accord', 'check-data', '--config', 'experiment.yaml', '--data', file], {
    stdio: 'inherit',
  });
}
`;

const TEST = `// The project's own tests: every site's data fits the experiment, and a short simulation of the whole
// federation trains to better than chance. Run with npm test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const accord = (...args) =>
  execFileSync('npx', ['--no-install', 'accord', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sites = YAML.parse(fs.readFileSync('sites.yaml', 'utf8'));

describe('the project', () => {
  it.each(Object.entries(sites))('%s: its data fits the experiment', (site, file) => {
    const summary = JSON.parse(accord('check-data', '--config', 'experiment.yaml', '--data', file, '--json'));
    expect(summary.rows).toBeGreaterThan(50);
  });

  it('a 3-round simulation of every site trains to better than chance', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'project-run-'));
    accord('simulate', '--config', 'experiment.yaml', '--sites', 'sites.yaml', '--rounds', '3', '--out', out);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.rounds).toHaveLength(3);
    expect(Object.keys(report.final.siteAccuracy).sort()).toEqual(Object.keys(sites).sort());
    expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.6);
  }, 300_000);
});
`;

function readme(o: ScaffoldOptions): string {
  return `# ${o.name}

A federated-learning project made with \`accord init\`: ${o.sites} sites, each with its own data, train one
model together with [Accord](https://www.npmjs.com/package/accord-fl); no site's rows leave it.

| file | what it is |
| --- | --- |
| \`experiment.yaml\` | the experiment: data columns and label, model, rounds, strategy (every site approves it) |
| \`sites.yaml\` | one CSV per site, for local simulations |
| \`data/\` | sample data, one file per site (replace with yours: same columns, a header line) |
| \`site-policy.yaml\` | what a site will run and send, whatever an experiment asks (\`accord worker --policy\`) |
| \`test/\` | the project's tests (\`npm test\`) |

## Run it

\`\`\`sh
npm install
npm run simulate   # a whole federation here: Redis, a coordinator and one worker per site; report in runs/latest/
npm run check      # each site's data against the experiment
npm test
\`\`\`

\`runs/latest/report.html\` has the charts, \`report.md\` the table (federated beside each site alone and all
rows pooled), \`model/\` the trained model (TF.js layers format).

## Your own data

Put one CSV per site in \`data/\`, list them in \`sites.yaml\`, and set \`data.columns\`, \`data.label\` and
\`data.ranges\` in \`experiment.yaml\` to match. \`npm run check\` says what does not fit, row by row.

## Your own model

Save a TF.js layers model (\`model.toJSON()\` of a \`tf.sequential\`, as \`{"modelTopology": ...}\`) as
\`model.json\` here and set \`model: { path: model.json }\` in \`experiment.yaml\`. Its inputs must match the
feature columns and its output the classes (one sigmoid unit for two). \`accord submit\` and \`accord
simulate\` read the file and send the topology with its SHA-256 in the terms each site approves; no site
needs the file, and a site allows it in its policy as \`allowedModels: [sha256:<hash>]\` (the hash is
in \`report.json\`, \`trust.manifest.modelSha256\`). Weights start from the experiment's \`seed\`.

## For real

Each site runs \`npx accord worker\` beside its data with its own keys and \`site-policy.yaml\`; an operator
runs \`npx accord coordinator\` and Redis; you submit \`experiment.yaml\`. The steps are in Accord's README,
"Running a federation for real".
`;
}

/** Every file of the project, by path relative to its folder. */
export function scaffold(o: ScaffoldOptions): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': packageJson(o),
    'experiment.yaml': experimentYaml(o),
    'sites.yaml': sitesYaml(o),
    'site-policy.yaml': POLICY,
    'scripts/check-data.mjs': CHECK_SCRIPT,
    'test/project.test.js': TEST,
    'README.md': readme(o),
    '.gitignore': 'node_modules/\nruns/\naccord-store/\n',
  };
  for (let i = 0; i < o.sites; i++) files[`data/${siteName(i)}.csv`] = sampleSiteCsv(i, o.rows);
  return files;
}
