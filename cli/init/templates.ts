// The files of a scaffolded project (`accord init NAME [--template tabular|image]`): an experiment, an
// app (app/app.mjs: the model and its site hooks), the sites' data and a site policy that allows the
// app, a README and tests of its own. Pure: the command writes what these return.
import YAML from 'yaml';
import { appDigest } from '../../shared/apps/bundle.js';
import { IMAGE_APP, TABULAR_APP } from './app-templates.js';
import { IMAGE_LABELS, IMAGE_SHAPE, sampleSiteImages } from './image-data.js';
import { SAMPLE_COLUMNS, SAMPLE_RANGES, sampleSiteCsv } from './sample-data.js';

/** What the project learns from: rows of a CSV per site, or a folder of class folders of images. */
export const TEMPLATES = ['tabular', 'image'] as const;
export type Template = (typeof TEMPLATES)[number];

export interface ScaffoldOptions {
  /** The project's name (its folder and package name). */
  name: string;
  /** tabular (a CSV per site, an MLP) or image (PNGs in class folders per site, a small CNN). */
  template: Template;
  /** How many sites get sample data. */
  sites: number;
  /** Rows (tabular) or images (image) of sample data per site. */
  rows: number;
  /** The Accord installation the project depends on (`file:` spec or a version range). */
  accord: string;
  /** Version ranges of the project's own dev dependencies (vitest for its tests, yaml for its scripts). */
  devDependencies: { vitest: string; yaml: string };
}

/** A file's content: text, or bytes (the sample images). */
export type ScaffoldFiles = Record<string, string | Uint8Array>;

const siteName = (i: number) => `site-${String.fromCharCode(97 + i)}`;

/** The app's source for the template. */
function appSource(o: ScaffoldOptions): string {
  return o.template === 'image' ? IMAGE_APP : TABULAR_APP;
}

/** The digest a site's policy allows the app by (shared/apps/bundle.ts), of the app folder as written. */
export function scaffoldAppDigest(o: ScaffoldOptions): string {
  return appDigest(new Map([['app.mjs', Buffer.from(appSource(o))]]));
}

function dataSection(o: ScaffoldOptions): Record<string, unknown> {
  if (o.template === 'image')
    return {
      format: 'idx',
      classes: IMAGE_LABELS.length,
      labels: [...IMAGE_LABELS],
      imageShape: IMAGE_SHAPE,
      testFraction: 0.2,
    };
  return {
    format: 'csv',
    header: true,
    columns: [...SAMPLE_COLUMNS],
    label: 'outcome',
    classes: 2,
    scaling: 'federated',
    ranges: SAMPLE_RANGES,
    testFraction: 0.3,
  };
}

function experimentYaml(o: ScaffoldOptions): string {
  const experiment = {
    name: o.name,
    model: { app: './app' },
    data: dataSection(o),
    rounds: 10,
    clients: { min: o.sites, fraction: 1 },
    train:
      o.template === 'image'
        ? { epochs: 5, batchSize: 16, learningRate: 0.02, optimizer: 'adam' }
        : { epochs: 5, batchSize: 32, learningRate: 0.01, optimizer: 'adam' },
    strategy: { name: 'fedavg' },
    seed: 1,
  };
  return `# The experiment every site approves before it trains (docs: reference.md, "Experiment file").
# model.app: the folder of this project's app (app/app.mjs builds the model; its hooks run at the sites).
# Try it here: npm run simulate. Submit it to a real federation: npx accord submit experiment.yaml --redis URL
${YAML.stringify(experiment, { flow: false })}`;
}

function siteData(o: ScaffoldOptions, i: number): string {
  return o.template === 'image' ? `data/${siteName(i)}` : `data/${siteName(i)}.csv`;
}

function sitesYaml(o: ScaffoldOptions): string {
  const sites = Object.fromEntries(Array.from({ length: o.sites }, (_, i) => [siteName(i), siteData(o, i)]));
  const what = o.template === 'image' ? 'One folder of class folders of PNGs per site' : 'One CSV per site';
  return `# ${what}, for accord simulate --sites (paths relative to this file). Replace them with your own.\n${YAML.stringify(sites)}`;
}

function policyYaml(o: ScaffoldOptions): string {
  return `# What each site will run and send, whatever an experiment asks (accord worker --policy; docs: privacy.md).
apps:
  # The apps this site runs (sandboxed), by digest: this project's app/ as accord init wrote it. Any edit
  # of a file in app/ changes the digest: print the new one with npx accord app digest app
  allow: ['sha256:${scaffoldAppDigest(o)}']
maxRounds: 100
minSitesPerRound: 3
autoApprove: false # a person approves each experiment with accord approve
data:
  minCellCount: 5 # no column statistics from fewer values than this
metrics: { decimals: 2, minTestRows: 10 }
`;
}

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

const CHECK_SCRIPT = `// npm run check: each site's data against the experiment, as a hospital checks its own before joining.
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
// federation, the app's hooks running at each site, trains to better than chance. Run with npm test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const accord = (...args) =>
  execFileSync('npx', ['--no-install', 'accord', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sites = YAML.parse(fs.readFileSync('sites.yaml', 'utf8'));
const experiment = YAML.parse(fs.readFileSync('experiment.yaml', 'utf8'));

describe('the project', () => {
  it.each(Object.entries(sites))('%s: its data fits the experiment', (site, file) => {
    const summary = JSON.parse(accord('check-data', '--config', 'experiment.yaml', '--data', file, '--json'));
    expect(summary.rows).toBeGreaterThan(20);
    expect(Object.keys(summary.classes)).toHaveLength(experiment.data.classes);
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

const APP_TEST = `// The app's own tests: app/app.mjs builds a model for this experiment's data, and its site hooks keep
// to their contract (preprocess keeps the shape, metrics are finite numbers). TF.js is the one Accord
// runs the app with: Accord's own dependency, resolved through the accord-fl package.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import * as app from '../app/app.mjs';

const fromAccord = createRequire(createRequire(import.meta.url).resolve('accord-fl/package.json'));
const tf = fromAccord('@tensorflow/tfjs');
const { data } = YAML.parse(fs.readFileSync('experiment.yaml', 'utf8'));

/** The shape Accord gives the app for the experiment's data (shared/apps/interface.ts, AppShape). */
function shapeOf(data) {
  if (data.format === 'idx') {
    const [h, w, c] = data.imageShape;
    return { inputSize: h * w * c, classes: data.classes, outputUnits: data.classes === 2 ? 1 : data.classes, imageShape: data.imageShape };
  }
  // Every column but the label and the dropped ones; a categorical column gives one input per category.
  const inputs = data.columns
    .filter((c) => c !== data.label && !(data.drop ?? []).includes(c))
    .reduce((n, c) => n + (data.categorical?.[c]?.length ?? 1), 0);
  const classes = data.binarise ? 2 : data.classes;
  return { inputSize: inputs, classes, outputUnits: classes === 2 ? 1 : classes };
}

const shape = shapeOf(data);
const n = 12;
// Inputs as a site's adapter gives them: scaled features, or pixels in [0, 1].
const x = tf.randomUniform([n, shape.inputSize], data.format === 'idx' ? 0 : -3, data.format === 'idx' ? 1 : 3, 'float32', 1);

describe('app/app.mjs', () => {
  afterAll(() => x.dispose());

  it('model() builds a model from the experiment\\'s inputs to its output units', () => {
    const model = app.model(tf, shape);
    expect(model.inputs[0].shape).toEqual([null, shape.inputSize]);
    expect(model.outputs[0].shape).toEqual([null, shape.outputUnits]);
    const p = model.predict(x);
    expect(p.shape).toEqual([n, shape.outputUnits]);
    const values = p.dataSync();
    expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
    if (shape.outputUnits > 1)
      for (let i = 0; i < n; i++) {
        const row = values.slice(i * shape.outputUnits, (i + 1) * shape.outputUnits);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
    p.dispose();
    model.dispose();
  });

  it('preprocess() keeps the shape and gives finite values', () => {
    if (!app.preprocess) return;
    const out = app.preprocess(tf, x, shape);
    expect(out.shape).toEqual([n, shape.inputSize]);
    expect(out.dataSync().every(Number.isFinite)).toBe(true);
    out.dispose();
  });

  it('metrics() names finite numbers', () => {
    if (!app.metrics) return;
    const labels = Int32Array.from({ length: n }, (_, i) => i % shape.classes);
    const probabilities = new Float32Array(n * shape.outputUnits).fill(1 / shape.outputUnits);
    const metrics = app.metrics(tf, { labels, probabilities, shape });
    for (const [name, value] of Object.entries(metrics)) {
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,39}$/);
      expect(Number.isFinite(value)).toBe(true);
    }
  });
});
`;

function readme(o: ScaffoldOptions): string {
  const image = o.template === 'image';
  const dataRow = image
    ? `| \`data/\` | sample images, one folder per site: \`<class>/<image>.png\`, ${IMAGE_SHAPE[0]}x${IMAGE_SHAPE[1]} grayscale, classes ${IMAGE_LABELS.join(', ')} |`
    : `| \`data/\` | sample data, one file per site (replace with yours: same columns, a header line) |`;
  const ownData = image
    ? `Put one folder per site in \`data/\`, with a subfolder per class named as in \`data.labels\` of
\`experiment.yaml\` and the images in it (.png or .jpg, all of \`data.imageShape\`: height, width, channels;
images are not resized), and list the folders in \`sites.yaml\`. \`npm run check\` counts each site's
images per class and names an image that does not fit.`
    : `Put one CSV per site in \`data/\`, list them in \`sites.yaml\`, and set \`data.columns\`, \`data.label\` and
\`data.ranges\` in \`experiment.yaml\` to match. \`npm run check\` says what does not fit, row by row.`;
  const modelLine = image
    ? 'a small convolutional network (8 3x3 filters, global max pooling, a softmax)'
    : 'a small MLP (16 ReLU units, a sigmoid)';
  const preprocessLine = image
    ? "centres each image on its own mean brightness, since sites' scanners differ"
    : 'clips each scaled feature to [-4, 4], so one extreme record does not dominate a batch';
  const metricsLine = image
    ? "each class's recall (`app.recall_0`, ...)"
    : 'sensitivity and specificity (`app.sensitivity`, `app.specificity`)';
  return `# ${o.name}

A federated-learning project made with \`accord init\`: ${o.sites} sites, each with its own data, train one
model together with [Accord](https://www.npmjs.com/package/accord-fl); no site's ${image ? 'images leave' : 'rows leave'} it.

| file | what it is |
| --- | --- |
| \`experiment.yaml\` | the experiment: data, model (\`model: { app: ./app }\`), rounds, strategy (every site approves it) |
| \`app/app.mjs\` | the app: the model and the code that runs at each site (below) |
| \`sites.yaml\` | one ${image ? 'folder' : 'CSV'} per site, for local simulations |
${dataRow}
| \`site-policy.yaml\` | what a site will run and send, whatever an experiment asks (\`accord worker --policy\`); it allows this app by its digest |
| \`test/\` | the project's tests (\`npm test\`): the data, a short simulation, and the app's hooks |

## Run it

\`\`\`sh
npm install
npm run simulate   # a whole federation here: Redis, a coordinator and one worker per site; report in runs/latest/
npm run check      # each site's data against the experiment
npm test
\`\`\`

\`runs/latest/report.html\` has the charts, \`report.md\` the table (federated beside each site alone and all
${image ? 'images' : 'rows'} pooled), \`model/\` the trained model (TF.js layers format).

## The app

\`app/\` is an app: a folder whose \`app.mjs\` exports hooks that Accord calls. Each hook gets TF.js as its
first argument (an app imports nothing but node's built-ins and its own files) and \`shape\`, what the data
gives the model (\`inputSize\`, \`classes\`, \`outputUnits\`${image ? ', `imageShape`' : ''}).

| hook | what it does | where it runs |
| --- | --- | --- |
| \`model(tf, shape)\` | builds the model, here ${modelLine}; Accord sets its weights | where the experiment is submitted or simulated: its topology travels to the sites |
| \`preprocess(tf, x, shape)\` | ${preprocessLine}; the same shape out | at each site, in its sandbox, on training and test inputs |
| \`metrics(tf, {labels, probabilities, shape})\` | ${metricsLine}, sent with each evaluation beside the loss, accuracy and AUC Accord computes itself | at each site, in its sandbox, on its test ${image ? 'images' : 'rows'} |
| \`loss\`, \`train\` (not written here) | your own training loss, or your own local training step | at each site, in its sandbox |

\`npm run simulate\` runs the app at every simulated site (simulated sites allow any app); \`npm test\`
checks the hooks against \`experiment.yaml\` with the TF.js Accord runs them with.

A model without code of its own also works: save a TF.js layers model (\`model.toJSON()\` of a
\`tf.sequential\`, as \`{"modelTopology": ...}\`) as \`model.json\` and set \`model: { path: model.json }\`;
a site then allows it in its policy as \`allowedModels: [sha256:<hash>]\` (the hash is in \`report.json\`,
\`trust.manifest.modelSha256\`), and Accord's own training loop runs.

## Your own data

${ownData}

## For real

Each site runs \`npx accord worker\` beside its data with its own keys and \`site-policy.yaml\`; an operator
runs \`npx accord coordinator\` and Redis; you submit \`experiment.yaml\`. The steps are in Accord's README,
"Running a federation for real".

A site runs an app only if its policy lists the app's digest, a SHA-256 of every file in \`app/\`:

\`\`\`yaml
apps:
  allow: ['sha256:<digest>']
\`\`\`

Print the digest with \`npx accord app digest app\` and send it to each hospital to add to its site policy's
\`apps.allow\` (this project's \`site-policy.yaml\` lists the app as \`accord init\` wrote it). Any edit of a
file in \`app/\` changes the digest, and a site whose policy does not list it refuses the experiment. The
hooks run at the site in a sandbox: no network, no files but the app's and the site's data.
`;
}

/** Every file of the project, by path relative to its folder. */
export function scaffold(o: ScaffoldOptions): ScaffoldFiles {
  const files: ScaffoldFiles = {
    'package.json': packageJson(o),
    'experiment.yaml': experimentYaml(o),
    'app/app.mjs': appSource(o),
    'sites.yaml': sitesYaml(o),
    'site-policy.yaml': policyYaml(o),
    'scripts/check-data.mjs': CHECK_SCRIPT,
    'test/project.test.js': TEST,
    'test/app.test.js': APP_TEST,
    'README.md': readme(o),
    '.gitignore': 'node_modules/\nruns/\naccord-store/\n',
  };
  for (let i = 0; i < o.sites; i++) {
    if (o.template === 'image')
      for (const [file, bytes] of Object.entries(sampleSiteImages(i, o.rows)))
        files[`${siteData(o, i)}/${file}`] = bytes;
    else files[siteData(o, i)] = sampleSiteCsv(i, o.rows);
  }
  return files;
}
