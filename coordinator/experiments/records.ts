// Experiment and round records in Redis: what `accord status` and `accord report` read.
import type { Redis } from 'ioredis';
import type { ExperimentConfig } from '../../shared/config/schema';
import { keys } from './keys';

export interface CommitJobSecure {
  mode: string;
  selected: number;
  advertised: number;
  sharers: number;
  survivors: number;
  dropped: string[];
  stageMs: Record<string, number>;
}

export type ExperimentStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ExperimentRecord {
  id: string;
  name: string;
  status: ExperimentStatus;
  config: ExperimentConfig;
  createdAt: number;
  updatedAt: number;
  /** Round in progress (or the last one when finished). */
  round: number;
  /** Last committed round; 0 = only the initial model. */
  committed: number;
  /** Phase of the round in progress: selecting, training, evaluating, ... */
  phase: string;
  error?: string;
  /** Why the experiment stopped early (e.g. the privacy budget). */
  stopped?: string;
  /** Global column statistics for federated scaling, summed from the sites. */
  stats?: Record<string, { fill: number; mean: number; std: number }>;
}

export interface SiteRoundResult {
  examples: number;
  trainLoss?: number;
  /** Accuracy and loss of the global model this round started from, on the site's test split. */
  startAccuracy?: number;
  bytesDown: number;
  bytesUp: number;
  durationMs: number;
  backend: string;
}

export interface SiteEvalResult {
  accuracy: number;
  loss: number;
  examples: number;
  /** ROC AUC, for binary labels. */
  auc?: number;
}

export interface RoundRecord {
  round: number;
  attempt: number;
  committedAt: number;
  participants: string[];
  failures: Record<string, string>;
  /** Example-weighted mean training loss. */
  trainLoss: number;
  /** Evaluation of the committed model at each site. */
  siteEval: Record<string, SiteEvalResult>;
  siteAccuracy: Record<string, number>;
  meanSiteAccuracy: number;
  /** Example-weighted accuracy and loss across sites (and AUC for binary labels). */
  accuracy: number;
  loss: number;
  auc?: number;
  /** The coordinator's own held-out evaluation (eval.central). */
  central?: { accuracy: number; loss: number; auc?: number; examples: number };
  /** Whether the sites evaluated this round (every eval.every rounds). */
  evaluated: boolean;
  train: Record<string, SiteRoundResult>;
  bytesDown: number;
  bytesUp: number;
  durations: { trainMs: number; aggregateMs: number; evaluateMs: number; totalMs: number };
  /** TF.js backend each participating site trained with. */
  backends: Record<string, string>;
  /** Privacy spent after this round (differential privacy on). */
  privacy?: {
    epsilon: number;
    delta: number;
    noiseMultiplier: number;
    /** Under secure aggregation, dropouts remove their noise shares: z * sqrt(contributed / expected). */
    effectiveNoiseMultiplier: number;
    samplingRate: number;
    clip: number;
  };
  /** Secure aggregation summary of the round. */
  secure?: CommitJobSecure;
  /** Sites whose updates a selecting robust strategy (Krum, Multi-Krum) kept. */
  robust?: { selected: string[] };
  strategy: string;
}

function decode(h: Record<string, string>): ExperimentRecord | undefined {
  if (!h['id']) return undefined;
  return {
    id: h['id'],
    name: h['name'] ?? '',
    status: h['status'] as ExperimentStatus,
    config: JSON.parse(h['config'] ?? '{}') as ExperimentConfig,
    createdAt: Number(h['createdAt']),
    updatedAt: Number(h['updatedAt']),
    round: Number(h['round'] ?? 0),
    committed: Number(h['committed'] ?? 0),
    phase: h['phase'] ?? '',
    ...(h['error'] ? { error: h['error'] } : {}),
    ...(h['stopped'] ? { stopped: h['stopped'] } : {}),
    ...(h['stats'] ? { stats: JSON.parse(h['stats']) as ExperimentRecord['stats'] } : {}),
  };
}

export class ExperimentRecords {
  constructor(private readonly redis: Redis) {}

  async create(id: string, config: ExperimentConfig): Promise<ExperimentRecord> {
    const now = Date.now();
    const rec: ExperimentRecord = { id, name: config.name, status: 'queued', config, createdAt: now, updatedAt: now, round: 0, committed: 0, phase: 'queued' };
    await this.redis
      .multi()
      .hset(keys.experiment(id), { id, name: rec.name, status: rec.status, config: JSON.stringify(config), createdAt: now, updatedAt: now, round: 0, committed: 0, phase: 'queued' })
      .zadd(keys.experiments(), String(now), id)
      .exec();
    return rec;
  }

  async get(id: string): Promise<ExperimentRecord | undefined> {
    return decode(await this.redis.hgetall(keys.experiment(id)));
  }

  async list(): Promise<ExperimentRecord[]> {
    const ids = await this.redis.zrange(keys.experiments(), '0', '-1');
    const out: ExperimentRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  async update(id: string, fields: Partial<Pick<ExperimentRecord, 'status' | 'round' | 'committed' | 'phase' | 'error' | 'stopped'>>): Promise<void> {
    const flat: Record<string, string | number> = { updatedAt: Date.now() };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) flat[k] = v as string | number;
    await this.redis.hset(keys.experiment(id), flat);
  }

  async setStats(id: string, stats: NonNullable<ExperimentRecord['stats']>): Promise<void> {
    await this.redis.hset(keys.experiment(id), { stats: JSON.stringify(stats), updatedAt: Date.now() });
  }

  /** The config as sites receive it: with the global statistics when scaling is federated. */
  static effectiveConfig(rec: ExperimentRecord): ExperimentConfig {
    return rec.stats && rec.config.data.format === 'csv' ? { ...rec.config, data: { ...rec.config.data, stats: rec.stats } } : rec.config;
  }

  async putRound(id: string, rec: RoundRecord): Promise<void> {
    await this.redis.hset(keys.rounds(id), String(rec.round), JSON.stringify(rec));
  }

  async rounds(id: string): Promise<RoundRecord[]> {
    const raw = await this.redis.hgetall(keys.rounds(id));
    return Object.values(raw)
      .map((v) => JSON.parse(v) as RoundRecord)
      .sort((a, b) => a.round - b.round);
  }

  /** The latest round's record without reading every round (status displays poll this). */
  async lastRound(id: string): Promise<RoundRecord | undefined> {
    const rounds = (await this.redis.hkeys(keys.rounds(id))).map(Number);
    if (!rounds.length) return undefined;
    const raw = await this.redis.hget(keys.rounds(id), String(Math.max(...rounds)));
    return raw ? (JSON.parse(raw) as RoundRecord) : undefined;
  }

  async event(id: string, message: string): Promise<void> {
    await this.redis.rpush(keys.events(id), JSON.stringify({ at: Date.now(), message }));
  }

  async events(id: string): Promise<{ at: number; message: string }[]> {
    return (await this.redis.lrange(keys.events(id), '0', '-1')).map((e) => JSON.parse(e) as { at: number; message: string });
  }
}
