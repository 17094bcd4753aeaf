// Running a site's tasks: train (a delta from the global model, train-task.ts), evaluate (the global
// model on the site's test split, evaluate-task.ts) and column statistics (stats-task.ts), each under
// the task's spec, tied to the terms the site approved and checked against its policy first. Only
// deltas and metrics leave; the rows stay in the site's caches.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { appShape } from '../shared/apps/resolve.js';
import type { DataConfig } from '../shared/config/schema.js';
import type { SiteData } from '../shared/data/features.js';
import { inputSize } from '../shared/data/shape.js';
import { loadSiteData } from '../shared/data/site.js';
import { PolicyError, ProtocolError, TrustError } from '../shared/errors/index.js';
import type { Logger } from '../shared/log/logger.js';
import { scoreProbabilities } from '../shared/models/train.js';
import { modelFor, setFlatWeights, weightSpecs } from '../shared/models/zoo.js';
import type { TaskHeader__Output } from '../shared/protocol/load.js';
import { parseTaskSpec, type TaskSpec } from '../shared/protocol/task-spec.js';
import { seedOf } from '../shared/random.js';
import { sameSpecs } from '../shared/tensors/weights.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { AppCache } from './apps/app-cache.js';
import { runApp } from './apps/run-app.js';
import { releasesTestMetrics, sendEvaluation, testMetrics } from './evaluate-task.js';
import { departure } from './manifest-guard.js';
import { ModelTies } from './model-ties.js';
import type { Outbox } from './outbox.js';
import { PersonalModels } from './personal-models.js';
import { evaluatePersonalized, trainPersonalized } from './personal-task.js';
import { appOf, appRefusal, enforcePolicy, type SitePolicy, sitePolicySchema } from './policy.js';
import { RecordPrivacy } from './record-privacy.js';
import type { SecureStages } from './secure-stages.js';
import { type BudgetNote, SiteBudget } from './site-budget.js';
import { overridden, type SiteDataView, siteDataView, splitKeyOf } from './site-data.js';
import type { SiteTrust } from './site-trust.js';
import { sendColumnSums } from './stats-task.js';
import { sendStub } from './stub-task.js';
import type { Deferred, ModelTask, SiteOptions, TaskContext } from './task-context.js';
import { train } from './train-task.js';

export type { Deferred, ModelTask, SiteOptions } from './task-context.js';

export class TaskRunner {
  private readonly siteCache = new Map<string, SiteData>();
  private readonly modelCache: Map<string, tf.LayersModel>;
  /** The site's policy as it applies: the given one, the defaults for a site with an identity, or none (trusting). */
  private readonly policy: SitePolicy | undefined;
  private readonly splitKey: Buffer | undefined;
  /** What the tasks share: the site's outbox, policy, budget and trust. */
  private readonly ctx: TaskContext;
  /** Tasks completed (for tests and logs). */
  completed = 0;
  /** The apps this site fetched, by digest (worker/apps/app-cache.ts). */
  readonly apps: AppCache;
  /** The site's heads and personal models (personalization), kept and exported in its folder. */
  readonly personal: PersonalModels;

  constructor(
    private readonly opts: SiteOptions,
    outbox: Outbox,
    secure: SecureStages,
    private readonly log: Logger,
    /** The site's identity, roster and approvals; without it the site runs in trusting mode. */
    private readonly trust: SiteTrust | undefined = undefined,
    /** Writes a note in the site's audit log (budget charges). */
    note: BudgetNote = () => {},
  ) {
    this.modelCache = opts.sharedModels ?? new Map();
    this.apps = new AppCache(
      opts.approvalsDir
        ? path.resolve(opts.approvalsDir, 'apps')
        : fs.mkdtempSync(path.join(os.tmpdir(), `accord-apps-${opts.site.replace(/[^\w.-]/g, '_')}-`)),
      (m) => outbox.send(m),
    );
    this.personal = new PersonalModels(
      opts.approvalsDir ? path.resolve(opts.approvalsDir, 'personal') : undefined,
      opts.site,
    );
    this.policy = opts.policy ?? (trust || opts.identity ? sitePolicySchema.parse({}) : undefined);
    this.splitKey = this.policy ? splitKeyOf(this.policy.data, opts.identity ?? trust?.identity) : undefined;
    const dataset = createHash('sha256')
      .update(JSON.stringify([opts.site, path.resolve(opts.dataFile), opts.partition ?? null]))
      .digest('hex')
      .slice(0, 16);
    const unlimited = { statistics: Number.POSITIVE_INFINITY, evaluations: Number.POSITIVE_INFINITY };
    const budget = new SiteBudget(
      opts.approvalsDir,
      this.policy?.budget ?? unlimited,
      this.policy?.maxRecordEpsilon,
      note,
    );
    this.ctx = {
      opts,
      outbox,
      secure,
      log,
      trust,
      policy: this.policy,
      budget,
      records: new RecordPrivacy(budget),
      ties: new ModelTies(),
      dataset,
      done: () => {
        this.completed++;
      },
      note,
    };
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
   * A train or evaluate task of an app (shared/apps): allowed by the site's policy (apps.allow; a site
   * without a policy runs none), fetched by the digest it approved, run in the sandbox once for the
   * test probabilities and the training. Metrics are computed here from the probabilities.
   */
  private async appTask(
    task: ModelTask,
    spec: TaskSpec,
    terms: SignedTerms | undefined,
    data: SiteData,
    model: tf.LayersModel,
    app: NonNullable<ReturnType<typeof appOf>>,
  ): Promise<Deferred | undefined> {
    const policy = this.policy ?? sitePolicySchema.parse({});
    const why = appRefusal(policy, app);
    if (why) throw new PolicyError(`refused by the site's policy: ${why}`);
    if (spec.train.dpSgd)
      throw new PolicyError(
        "refused: record-level DP (train.dpSgd) is accounted by the site's own training loop, which an app replaces",
      );
    if (!('topology' in spec.model)) throw new ProtocolError('an app task without its topology', 'BAD_TASK_SPEC');
    const appDir = await this.apps.folder(task.header.experimentId, app.sha256);
    const releases = await releasesTestMetrics(this.ctx, task, terms, data);
    const training = task.kind === 'train';
    const out = await runApp({
      appDir,
      topology: spec.model.topology,
      shape: appShape(spec.data),
      weights: task.values,
      test: releases ? data.test : undefined,
      train: training
        ? {
            data: data.train,
            settings: {
              epochs: spec.train.epochs,
              batchSize: spec.train.batchSize,
              learningRate: spec.train.learningRate,
              optimizer: spec.train.optimizer,
              proximalMu: spec.train.proximalMu ?? 0,
              ...(spec.train.localSteps ? { localSteps: spec.train.localSteps } : {}),
              seed: seedOf(spec.seed, this.opts.site, task.header.round),
            },
          }
        : undefined,
      limits: {
        timeoutMs: policy.apps.timeoutSeconds * 1000,
        heapMB: policy.apps.memoryMB,
        requireNetworkIsolation: policy.apps.requireNetworkIsolation,
      },
    });
    this.log.info(
      {
        task: task.header.taskId,
        app: app.sha256.slice(0, 12),
        isolation: out.sandbox.isolation,
        ms: Math.round(out.sandbox.durationMs),
      },
      'app ran in the sandbox',
    );
    const before = out.probabilities
      ? {
          ...scoreProbabilities(out.probabilities, data.test.y, data.classes),
          ...(policy.apps.releaseMetrics ? { extra: out.metrics } : {}),
        }
      : undefined;
    if (!training) {
      if (!before) throw new PolicyError('no metrics released', 'TEST_TOO_SMALL');
      await sendEvaluation(this.ctx, task, data, before);
      return undefined;
    }
    const weights = out.weights!;
    const loss = out.loss!;
    return train(this.ctx, task, spec, terms, data, model, before, {
      training: async () => {
        setFlatWeights(model, { specs: task.specs, values: weights });
        return { loss };
      },
    });
  }

  /** Federated scaling: this site's per-column count, sum and sum of squares (stats-task.ts). */
  async columnSums(header: TaskHeader__Output): Promise<void> {
    try {
      const spec = parseTaskSpec(header.spec, header.taskId);
      await this.keepsToTerms(header, spec, 'stats');
      enforcePolicy(this.opts.policy, spec, 'statistics');
      await sendColumnSums(this.ctx, header, spec, this.view(spec.data));
    } catch (e) {
      await this.ctx.outbox.sendError(header.taskId, e);
    }
  }

  /** Runs a train or evaluate task; returns a straggler's delayed send, if any (train-task.ts). */
  async execute(task: ModelTask): Promise<Deferred | undefined> {
    const { header } = task;
    try {
      const spec = parseTaskSpec(header.spec, header.taskId);
      const terms = await this.keepsToTerms(header, spec, task.kind);
      enforcePolicy(this.opts.policy, spec, task.kind === 'train' ? 'update' : 'metrics');
      const data = this.siteData(spec.data);
      if (this.opts.stubTraining) {
        await sendStub(this.ctx, task, data);
        return undefined;
      }
      const model = await this.model(spec, data);
      if (!sameSpecs(weightSpecs(model), task.specs))
        throw new ProtocolError(
          `global model shapes ${JSON.stringify(task.specs.map((s) => s.shape))} do not match the local model`,
          'WRONG_SHAPE',
        );
      setFlatWeights(model, { specs: task.specs, values: task.values });
      const app = appOf(spec);
      if (app) return await this.appTask(task, spec, terms, data, model, app);
      if (spec.personalization && task.kind === 'evaluate') {
        await evaluatePersonalized(this.ctx, this.personal, task, spec, terms, data, model);
        return undefined;
      }
      const before = await testMetrics(this.ctx, task, terms, data, model);
      if (task.kind === 'evaluate') {
        // For an evaluate task testMetrics returns metrics or throws (TEST_TOO_SMALL, UNTIED_MODEL).
        await sendEvaluation(this.ctx, task, data, before!);
        return undefined;
      }
      // Awaited here, so that a failure in training is reported like any other.
      if (spec.personalization)
        return await trainPersonalized(this.ctx, this.personal, task, spec, terms, data, model, before);
      return await train(this.ctx, task, spec, terms, data, model, before);
    } catch (e) {
      await this.ctx.outbox.sendError(header.taskId, e);
    }
    return undefined;
  }
}
