// Baselines measured in the same run: each site alone, and all rows pooled (what federation stands in
// for), with the same model, seed and total epochs, each evaluated on every site's test split.
import type { BaselineResult, Baselines } from '../coordinator/experiments/report-baselines.js';
import type { ExperimentConfig } from '../shared/config/schema.js';
import { combineColumnSums, siteColumnSums } from '../shared/data/column-sums.js';
import { concatExamples, type SiteData } from '../shared/data/features.js';
import { readTableFile } from '../shared/data/read-table.js';
import { inputSize } from '../shared/data/shape.js';
import { loadSiteData } from '../shared/data/site.js';
import { preloadSiteSource } from '../shared/data/sql/postgres.js';
import { initBackend } from '../shared/models/backend.js';
import { evaluateLocal, trainLocal } from '../shared/models/train.js';
import { modelFor } from '../shared/models/zoo.js';
import { seedOf } from '../shared/random.js';

// Typed beside the report renderers that read them from report.json (coordinator/, the layer below).
export type { BaselineResult, Baselines } from '../coordinator/experiments/report-baselines.js';

async function trainAndScore(
  cfg: ExperimentConfig,
  sites: Record<string, SiteData>,
  trainOn: string[],
): Promise<BaselineResult> {
  const any = Object.values(sites)[0]!;
  const nf = inputSize(cfg.data);
  const model = await modelFor(cfg);
  const epochs = cfg.rounds * cfg.train.epochs;
  await trainLocal(
    model,
    concatExamples(
      trainOn.map((s) => sites[s]!.train),
      nf,
    ),
    { ...cfg.train, epochs },
    any.classes,
    seedOf(cfg.seed, 'baseline', ...trainOn),
  );
  const siteAccuracy: Record<string, number> = {};
  for (const [s, d] of Object.entries(sites))
    siteAccuracy[s] = (await evaluateLocal(model, d.test, d.classes)).accuracy;
  model.dispose();
  const accs = Object.values(siteAccuracy);
  return { siteAccuracy, meanSiteAccuracy: accs.reduce((a, b) => a + b, 0) / accs.length, epochs };
}

export async function computeBaselines(
  config: ExperimentConfig,
  siteFiles: Record<string, string>,
): Promise<Baselines> {
  await initBackend();
  // A site whose data is a SQL source (a .source.yaml) is read by running its query, once, here too.
  for (const f of Object.values(siteFiles)) await preloadSiteSource(f);
  let cfg = config;
  const data = cfg.data;
  if (data.format === 'csv' && data.scaling === 'federated' && !data.stats) {
    // The same global statistics the federation uses: summed from each site's column sums.
    const stats = combineColumnSums(Object.values(siteFiles).map((f) => siteColumnSums(readTableFile(f, data), data)));
    cfg = { ...cfg, data: { ...data, stats } };
  }
  const sites: Record<string, SiteData> = {};
  for (const [s, f] of Object.entries(siteFiles)) sites[s] = loadSiteData(f, cfg.data);
  const names = Object.keys(sites);
  const local: Record<string, BaselineResult> = {};
  for (const s of names) local[s] = await trainAndScore(cfg, sites, [s]);
  return { pooled: await trainAndScore(cfg, sites, names), local };
}
