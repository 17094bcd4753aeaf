// Running a site's tasks: train (a delta from the global model), evaluate (the global model on the
// site's test split) and column statistics, each under the task's spec. Only deltas and metrics
// leave; the rows stay in the site's caches.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { type Attack, applyAttack } from '../shared/attack.js';
import type { DataConfig } from '../shared/config/schema.js';
import { columnSumsToMetrics, columnSumsToVector, numericColumns } from '../shared/data/column-sums.js';
import type { SiteData } from '../shared/data/features.js';
import type { SitePartition } from '../shared/data/images.js';
import { inputSize } from '../shared/data/shape.js';
import { loadSiteData } from '../shared/data/site.js';
import { DataError, ProtocolError, TrustError } from '../shared/errors/index.js';
import type { Logger } from '../shared/log/logger.js';
import { evaluateLocal } from '../shared/models/train.js';
import { getFlatWeights, modelFor, setFlatWeights, weightSpecs } from '../shared/models/zoo.js';
import { clipL2 } from '../shared/privacy/clip.js';
import { addGaussianNoise } from '../shared/privacy/noise.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import type { TaskHeader__Output } from '../shared/protocol/load.js';
import { parseTaskSpec, type TaskSpec } from '../shared/protocol/task-spec.js';
import { seedOf } from '../shared/random.js';
import { encodeFixedPoint } from '../shared/secagg/fixed-point.js';
import { sameSpecs, type TensorShape } from '../shared/tensors/weights.js';
import type { Identity } from '../shared/trust/identity.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { departure } from './manifest-guard.js';
import { checkTestSize, roundMetrics } from './metrics-release.js';
import { ModelTies } from './model-ties.js';
import type { Outbox } from './outbox.js';
import { enforcePolicy, type SitePolicy, sitePolicySchema } from './policy.js';
import { RecordPrivacy } from './record-privacy.js';
import type { SecureStages } from './secure-stages.js';
import { type BudgetNote, SiteBudget } from './site-budget.js';
import { overridden, type SiteDataView, siteDataView, splitKeyOf } from './site-data.js';
import { releasedColumnSums } from './site-statistics.js';
import type { SiteTrust } from './site-trust.js';

export interface SiteOptions {
  site: string;
  /** The site's data file or directory. */
  dataFile: string;
  /** Simulation only: this logical site holds this partition of the data set at `dataFile`. */
  partition?: SitePartition | undefined;
  /** Simulation only: poison this site's updates (see shared/attack.ts). */
  attack?: Attack | undefined;
  /** The site's own policy: tasks that break it are refused before anything is computed or sent. */
  policy?: SitePolicy | undefined;
  /** The site's identity key: with it (or a policy), the site's own data rules and split apply (site-data.ts). */
  identity?: Identity | undefined;
  /** Where the site keeps its approvals, release ledger and budget (budget.json). Default: memory. */
  approvalsDir?: string | undefined;
  /**
   * Simulation pools: one model object per architecture for all of the process's sites. They take
   * turns (TaskGate) and every task sets the global weights first, so nothing of one site's training
   * stays in it; a model per site made a pool's heap, and each round, grow with the sites it had served.
   */
  sharedModels?: Map<string, tf.LayersModel> | undefined;
  /** Benchmarks only: no local training; a fixed delta of the model's size (sendStub). */
  stubTraining?: boolean | undefined;
  /**
   * Simulation only: a straggler this many times slower. After training it waits (slowdown - 1) times
   * its training time before sending, outside the pool's gate (execute returns the wait and the send).
   */
  slowdown?: number | undefined;
}

/** What is left of a task once its compute is done: a straggler's delayed send. */
export type Deferred = () => Promise<void>;

/** A train or evaluate task whose global model has fully arrived. */
export interface ModelTask {
  kind: 'train' | 'evaluate';
  header: TaskHeader__Output;
  specs: TensorShape[];
  values: Float32Array;
  /** Set when the coordinator cancels the task. */
  cancelled: boolean;
}

/** Drops metrics that are not finite numbers (the coordinator would refuse them). */
function finite(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

export class TaskRunner {
  private readonly siteCache = new Map<string, SiteData>();
  private readonly modelCache: Map<string, tf.LayersModel>;
  private readonly records: RecordPrivacy;
  private readonly ties = new ModelTies();
  private readonly budget: SiteBudget;
  /** The site's policy as it applies: the given one, the defaults for a site with an identity, or none (trusting). */
  private readonly policy: SitePolicy | undefined;
  private readonly splitKey: Buffer | undefined;
  /** The data set's name in the site's budget: the site and its file (never sent). */
  private readonly dataset: string;
  /** Tasks completed (for tests and logs). */
  completed = 0;

  constructor(
    private readonly opts: SiteOptions,
    private readonly outbox: Outbox,
    private readonly secure: SecureStages,
    private readonly log: Logger,
    /** The site's identity, roster and approvals; without it the site runs in trusting mode. */
    private readonly trust: SiteTrust | undefined = undefined,
    /** Writes a note in the site's audit log (budget charges). */
    note: BudgetNote = () => {},
  ) {
    this.modelCache = opts.sharedModels ?? new Map();
    this.policy = opts.policy ?? (trust || opts.identity ? sitePolicySchema.parse({}) : undefined);
    this.splitKey = this.policy ? splitKeyOf(this.policy.data, opts.identity ?? trust?.identity) : undefined;
    this.dataset = createHash('sha256')
      .update(JSON.stringify([opts.site, path.resolve(opts.dataFile), opts.partition ?? null]))
      .digest('hex')
      .slice(0, 16);
    const unlimited = { statistics: Number.POSITIVE_INFINITY, evaluations: Number.POSITIVE_INFINITY };
    this.budget = new SiteBudget(
      opts.approvalsDir,
      this.policy?.budget ?? unlimited,
      this.policy?.maxRecordEpsilon,
      note,
    );
    this.records = new RecordPrivacy(this.budget);
  }

  /** The experiment's data settings with the site's own rules in place (site-data.ts). */
  private view(data: DataConfig): SiteDataView {
    return siteDataView(data, this.policy?.data, this.splitKey);
  }

  /**
   * Ties the task to a manifest this site approved and checks that it keeps to it, before anything is
   * computed: a task outside the approved terms is refused with the first setting that departs.
   */
  private async keepsToTerms(
    header: TaskHeader__Output,
    spec: TaskSpec,
    kind: 'train' | 'evaluate' | 'stats',
  ): Promise<SignedTerms | undefined> {
    if (!this.trust) return undefined;
    const terms = await this.trust.termsFor(header.experimentId, spec);
    const why = departure(terms.manifest, kind, header.round, spec);
    if (why)
      throw new TrustError('OUTSIDE_MANIFEST', `experiment ${header.experimentId}: ${why}; refused, nothing computed`);
    if (kind !== 'stats') this.trust.ledger.claim(terms, kind, header.round, header.attempt);
    return terms;
  }

  dispose(): void {
    if (this.opts.sharedModels) return; // the pool's, not this site's
    for (const m of this.modelCache.values()) m.dispose();
    this.modelCache.clear();
  }

  private siteData(asked: DataConfig): SiteData {
    // Generated rows are not kept: regenerating is cheap, and 100,000 simulated sites would not fit.
    if (asked.format === 'synthetic') return loadSiteData(this.opts.dataFile, asked, this.opts.partition);
    const { data, split } = this.view(asked);
    const key = JSON.stringify(data);
    let d = this.siteCache.get(key);
    if (!d) {
      d = loadSiteData(this.opts.dataFile, data, this.opts.partition, split);
      this.siteCache.set(key, d);
      const own = overridden(asked, data);
      this.log.info(
        {
          train: d.train.n,
          test: d.test.n,
          features: d.featureNames.length,
          split: split ? 'site' : 'experiment',
          ...(own.length ? { siteRules: own } : {}),
        },
        'local data loaded',
      );
    }
    return d;
  }

  private async model(spec: TaskSpec, data: SiteData): Promise<tf.LayersModel> {
    const key = JSON.stringify([spec.model, inputSize(spec.data), data.classes]);
    let m = this.modelCache.get(key);
    if (!m) {
      m = await modelFor(spec);
      this.modelCache.set(key, m);
    }
    return m;
  }

  /**
   * Federated scaling: per-column count, sum and sum of squares of this site's training rows. Under
   * secure aggregation they wait, encoded, for the masked-input stage (only an acknowledgement leaves
   * now); otherwise they are sent in clear, without the columns where the site has too few values.
   */
  async columnSums(header: TaskHeader__Output): Promise<void> {
    try {
      const spec = parseTaskSpec(header.spec, header.taskId);
      await this.keepsToTerms(header, spec, 'stats');
      enforcePolicy(this.opts.policy, spec, 'statistics');
      const { data, split } = this.view(spec.data);
      if (data.format !== 'csv') throw new DataError('column statistics apply to CSV data only', 'WRONG_FORMAT');
      this.budget.chargeStatistics(this.dataset, header.experimentId);
      // Small cells are withheld in clear and under secure aggregation alike: a total over few sites
      // (or all but one colluding) is no safer than one site's sums.
      const { sums: sent, suppressed } = releasedColumnSums(this.opts.dataFile, data, split);
      if (suppressed.length) this.log.info({ suppressed, minCellCount: data.minCellCount }, 'small cells not sent');
      const ack = { taskId: header.taskId, round: header.round };
      if (spec.secure) {
        const words = encodeFixedPoint(columnSumsToVector(sent, numericColumns(data)));
        this.secure.keep(header.experimentId, header.round, header.attempt, { kind: 'encoded', words });
        await this.outbox.send({ metrics: { ...ack, examples: 0, values: {} } });
        return;
      }
      await this.outbox.send({
        metrics: { ...ack, examples: sent.rows, values: columnSumsToMetrics(sent, data.columns) },
      });
    } catch (e) {
      await this.outbox.sendError(header.taskId, e);
    }
  }

  /**
   * Benchmarks only: answers without TF.js, with a fixed delta of the global model's size, so the
   * round's wall time is everything but local training (bench/round-overhead.ts, bench/scale.ts).
   */
  private async sendStub(task: ModelTask, data: SiteData): Promise<void> {
    const { header } = task;
    const values =
      task.kind === 'evaluate' ? { loss: 1, accuracy: 0 } : { loss: 1, startLoss: 1, startAccuracy: 0, trainMs: 0 };
    const examples = task.kind === 'evaluate' ? data.test.n : data.train.n;
    await this.outbox.send({ metrics: { taskId: header.taskId, round: header.round, examples, values } });
    if (task.kind === 'train')
      for (const c of chunkF32(new Float32Array(task.values.length).fill(1e-3))) {
        if (task.cancelled) return;
        await this.outbox.send({ updateChunk: { taskId: header.taskId, seq: c.seq, last: c.last, data: c.data } });
      }
    this.completed++;
  }

  /**
   * Metrics of the task's model on the site's test rows, when the site releases them: the model must
   * be tied to the approved experiment (model-ties.ts), the test rows many enough, and the data set's
   * evaluation budget not spent. An evaluate task that fails these is refused; a train task trains
   * without start metrics when the test rows are too few.
   */
  private async testMetrics(
    task: ModelTask,
    terms: SignedTerms | undefined,
    data: SiteData,
    model: tf.LayersModel,
  ): Promise<Awaited<ReturnType<typeof evaluateLocal>> | undefined> {
    const { header } = task;
    // The model after round r is evaluated in round r and trained from in round r + 1.
    const index = task.kind === 'evaluate' ? header.round : header.round - 1;
    const digest = terms ? await this.ties.tie(terms, index, task.values) : undefined;
    const rules = this.policy?.metrics;
    if (rules) {
      if (task.kind === 'evaluate') checkTestSize(rules, data.test.n);
      else if (data.test.n < rules.minTestRows) return undefined;
    }
    if (digest) this.budget.chargeEvaluation(this.dataset, digest, header.experimentId);
    return evaluateLocal(model, data.test, data.classes);
  }

  /** Metric values as the site releases them: finite, rounded as its policy says. */
  private release(values: Record<string, number>): Record<string, number> {
    const rules = this.policy?.metrics;
    return rules ? roundMetrics(values, rules.decimals) : finite(values);
  }

  async execute(task: ModelTask): Promise<Deferred | undefined> {
    const { header } = task;
    try {
      const spec = parseTaskSpec(header.spec, header.taskId);
      const terms = await this.keepsToTerms(header, spec, task.kind);
      enforcePolicy(this.opts.policy, spec, task.kind === 'train' ? 'update' : 'metrics');
      const data = this.siteData(spec.data);
      if (this.opts.stubTraining) {
        await this.sendStub(task, data);
        return undefined;
      }
      const model = await this.model(spec, data);
      if (!sameSpecs(weightSpecs(model), task.specs))
        throw new ProtocolError(
          `global model shapes ${JSON.stringify(task.specs.map((s) => s.shape))} do not match the local model`,
          'WRONG_SHAPE',
        );
      setFlatWeights(model, { specs: task.specs, values: task.values });
      const before = await this.testMetrics(task, terms, data, model);
      if (task.kind === 'evaluate') {
        // For an evaluate task testMetrics returns metrics or throws (TEST_TOO_SMALL, UNTIED_MODEL).
        const m = before!;
        const values = this.release({
          loss: m.loss,
          accuracy: m.accuracy,
          ...(m.auc !== undefined ? { auc: m.auc } : {}),
        });
        await this.outbox.send({
          metrics: { taskId: header.taskId, round: header.round, examples: data.test.n, values },
        });
        this.completed++;
        return;
      }
      const t0 = Date.now();
      const seed = seedOf(spec.seed, this.opts.site, header.round);
      const trained = await this.records.train(
        header.experimentId,
        this.dataset,
        model,
        data.train,
        spec,
        data.classes,
        seed,
      );
      const after = getFlatWeights(model).values;
      const delta = new Float32Array(after.length);
      for (let i = 0; i < after.length; i++) delta[i] = (after[i] ?? 0) - (task.values[i] ?? 0);
      if (this.opts.attack) applyAttack(delta, this.opts.attack, seedOf(this.opts.site, header.round));
      // Differential privacy: the site bounds its own contribution before anything leaves.
      if (spec.dpClip !== undefined) clipL2(delta, spec.dpClip);
      // A minimum noise the site cannot check (central noise, added by the coordinator) is added here,
      // by the site itself, to its clipped delta. Under secure aggregation the site adds its share in
      // the masked-input stage instead, checked against the manifest.
      const minZ = this.opts.policy?.minNoiseMultiplier ?? 0;
      if (!spec.secure && minZ > 0 && spec.dpClip !== undefined) {
        // Fresh noise on a repeat of the round would average away: the noised update leaves once.
        if (terms) this.trust?.ledger.claim(terms, 'update-once', header.round, header.attempt);
        addGaussianNoise(delta, minZ * spec.dpClip);
      }
      if (task.cancelled) return;
      const values = this.release({
        loss: trained.loss,
        ...(before ? { startLoss: before.loss, startAccuracy: before.accuracy } : {}),
        trainMs: Date.now() - t0,
        ...(trained.recordEpsilon !== undefined ? { recordEpsilon: trained.recordEpsilon } : {}),
      });
      if (spec.secure) {
        // The delta stays here; only its masked, quantised form leaves, in the masked-input stage.
        this.secure.keep(header.experimentId, header.round, header.attempt, {
          kind: 'delta',
          delta,
          examples: data.train.n,
        });
        await this.outbox.send({ metrics: { taskId: header.taskId, round: header.round, examples: 0, values } });
        this.completed++;
        return;
      }
      const send = async () => {
        await this.outbox.send({
          metrics: { taskId: header.taskId, round: header.round, examples: data.train.n, values },
        });
        for (const c of chunkF32(delta)) {
          if (task.cancelled) return;
          await this.outbox.send({ updateChunk: { taskId: header.taskId, seq: c.seq, last: c.last, data: c.data } });
        }
        this.completed++;
        this.log.info(
          { task: header.taskId, round: header.round, loss: trained.loss, examples: data.train.n },
          'update sent',
        );
      };
      const slowdown = this.opts.slowdown ?? 1;
      if (slowdown <= 1) return void (await send());
      const waitMs = (slowdown - 1) * (Date.now() - t0);
      return async () => {
        try {
          await new Promise((r) => setTimeout(r, waitMs));
          if (!task.cancelled) await send();
        } catch (e) {
          await this.outbox.sendError(header.taskId, e);
        }
      };
    } catch (e) {
      await this.outbox.sendError(header.taskId, e);
    }
    return undefined;
  }
}
