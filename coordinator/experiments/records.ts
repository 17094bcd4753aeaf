// Experiment and round records in Redis: what `accord status` and `accord report` read.
import { z } from 'zod';
import { type ExperimentConfig, experimentSchema } from '../../shared/config/schema.js';
import type { RedisClient } from '../../shared/redis-target.js';
import { type Approval, approvalSchema } from '../../shared/trust/approval.js';
import { keysOf } from './keys.js';
import { type RoundRecord, roundRecordSchema } from './round-record.js';
import { jsonText, parseStored } from './stored.js';

export type { BoundedEntry, RoundRecord, SecureSummary, SiteEvalResult, SiteRoundResult } from './round-record.js';

export type ExperimentStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

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
  error?: string | undefined;
  /** Why the experiment stopped early (e.g. the privacy budget). */
  stopped?: string | undefined;
  /** Global column statistics for federated scaling, summed from the sites. */
  stats?: Record<string, { fill: number; mean: number; std: number }> | undefined;
  /** The manifest the sites approve (canonical JSON text) and its SHA-256, set when the experiment starts. */
  manifest?: string | undefined;
  manifestHash?: string | undefined;
}

/** What the sites signed for an experiment: their approvals and the latest heads of their audit chains. */
export interface TrustRecords {
  approvals: Approval[];
  auditHeads: Record<string, SiteAuditHead>;
  /** The roster the manifest names (JSON), when the coordinator had one small enough to keep. */
  roster?: string | undefined;
}

/** The latest signed head of a site's audit chain, as it reported it. */
export interface SiteAuditHead {
  round: number;
  taskId: string;
  entries: number;
  hash: string;
  signature: string;
  receivedAt: number;
}

const columnStatsSchema = z.record(z.string(), z.object({ fill: z.number(), mean: z.number(), std: z.number() }));

/** The experiment hash as Redis stores it (strings), parsed into a typed record. */
const experimentHashSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  config: jsonText.pipe(experimentSchema),
  createdAt: z.coerce.number(),
  updatedAt: z.coerce.number(),
  round: z.coerce.number().int().default(0),
  committed: z.coerce.number().int().default(0),
  phase: z.string().default(''),
  error: z.string().optional(),
  stopped: z.string().optional(),
  stats: jsonText.pipe(columnStatsSchema).optional(),
  manifest: z.string().optional(),
  manifestHash: z.string().optional(),
});

const auditHeadSchema = z.object({
  round: z.number(),
  taskId: z.string(),
  entries: z.number(),
  hash: z.string(),
  signature: z.string(),
  receivedAt: z.number(),
});

const eventSchema = z.object({ at: z.number(), message: z.string() });

function decode(h: Record<string, string>): ExperimentRecord | undefined {
  if (!h['id']) return undefined;
  return parseStored(experimentHashSchema, h, `experiment ${h['id']}`);
}

export class ExperimentRecords {
  private readonly keys: ReturnType<typeof keysOf>;

  constructor(private readonly redis: RedisClient) {
    this.keys = keysOf(redis);
  }

  /** Stores the bundle of the experiment's app (before its record: a site may ask for it at once). */
  async saveApp(id: string, bundle: Buffer): Promise<void> {
    await this.redis.set(this.keys.app(id), bundle);
  }

  /** The bundle of the experiment's app, as submitted, or undefined. */
  async app(id: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.keys.app(id))) ?? undefined;
  }

  async create(id: string, config: ExperimentConfig): Promise<ExperimentRecord> {
    const now = Date.now();
    const rec: ExperimentRecord = {
      id,
      name: config.name,
      status: 'queued',
      config,
      createdAt: now,
      updatedAt: now,
      round: 0,
      committed: 0,
      phase: 'queued',
    };
    await this.redis
      .multi()
      .hset(this.keys.experiment(id), {
        id,
        name: rec.name,
        status: rec.status,
        config: JSON.stringify(config),
        createdAt: now,
        updatedAt: now,
        round: 0,
        committed: 0,
        phase: 'queued',
      })
      .zadd(this.keys.experiments(), String(now), id)
      .exec();
    return rec;
  }

  async get(id: string): Promise<ExperimentRecord | undefined> {
    return decode(await this.redis.hgetall(this.keys.experiment(id)));
  }

  async list(): Promise<ExperimentRecord[]> {
    const ids = await this.redis.zrange(this.keys.experiments(), '0', '-1');
    const out: ExperimentRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  async update(
    id: string,
    fields: Partial<Pick<ExperimentRecord, 'status' | 'round' | 'committed' | 'phase' | 'error' | 'stopped'>>,
  ): Promise<void> {
    const flat: Record<string, string | number> = { updatedAt: Date.now() };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) flat[k] = v as string | number;
    await this.redis.hset(this.keys.experiment(id), flat);
  }

  /** Sets the experiment's manifest once; a second call (a resumed start) keeps the first. */
  async setManifest(
    id: string,
    terms: { json: string; hash: string },
    roster?: string,
  ): Promise<{ json: string; hash: string }> {
    const key = this.keys.experiment(id);
    if (await this.redis.hsetnx(key, 'manifest', terms.json)) {
      await this.redis.hset(key, { manifestHash: terms.hash });
      // Beside the record, not in it: every task reads the record, only the report reads the roster.
      if (roster) await this.redis.set(this.keys.roster(id), roster);
    }
    const [json, hash] = await this.redis.hmget(key, 'manifest', 'manifestHash');
    return { json: json ?? terms.json, hash: hash ?? terms.hash };
  }

  async putApproval(id: string, approval: Approval): Promise<void> {
    await this.redis.hset(this.keys.approvals(id), approval.site, JSON.stringify(approval));
  }

  /** The sites that approved the experiment (names only: cheap enough to ask every poll). */
  async approvedSites(id: string): Promise<Set<string>> {
    return new Set(await this.redis.hkeys(this.keys.approvals(id)));
  }

  /** Records that `site` refused the experiment (its policy or budget); true the first time. */
  async putRefusal(id: string, site: string, why: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.refusals(id), site, why)) === 1;
  }

  /** The sites that refused the experiment, with their reasons. */
  async refusals(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.refusals(id));
  }

  async approvals(id: string): Promise<Approval[]> {
    const raw = await this.redis.hgetall(this.keys.approvals(id));
    return Object.entries(raw)
      .map(([site, v]) => parseStored(jsonText.pipe(approvalSchema), v, `approval of ${site} in experiment ${id}`))
      .sort((a, b) => a.site.localeCompare(b.site));
  }

  async trustRecords(id: string): Promise<TrustRecords> {
    const roster = await this.redis.get(this.keys.roster(id));
    return {
      approvals: await this.approvals(id),
      auditHeads: await this.auditHeads(id),
      ...(roster ? { roster } : {}),
    };
  }

  /** Every experiment's id, oldest first. */
  async ids(): Promise<string[]> {
    return this.redis.zrange(this.keys.experiments(), '0', '-1');
  }

  async manifestOf(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.experiment(id), 'manifest')) ?? undefined;
  }

  /** Fields of the record a site's message is checked against, without reading the whole record. */
  async brief(id: string): Promise<{ status: string; manifestHash?: string } | undefined> {
    const [status, manifestHash] = await this.redis.hmget(this.keys.experiment(id), 'status', 'manifestHash');
    return status ? { status, ...(manifestHash ? { manifestHash } : {}) } : undefined;
  }

  async putAuditHead(id: string, site: string, head: SiteAuditHead): Promise<void> {
    await this.redis.hset(this.keys.auditHeads(id), site, JSON.stringify(head));
  }

  async auditHeads(id: string): Promise<Record<string, SiteAuditHead>> {
    const raw = await this.redis.hgetall(this.keys.auditHeads(id));
    return Object.fromEntries(
      Object.entries(raw).map(([site, v]) => [
        site,
        parseStored(jsonText.pipe(auditHeadSchema), v, `audit head of ${site} in experiment ${id}`),
      ]),
    );
  }

  async setStats(id: string, stats: NonNullable<ExperimentRecord['stats']>): Promise<void> {
    await this.redis.hset(this.keys.experiment(id), { stats: JSON.stringify(stats), updatedAt: Date.now() });
  }

  /** The config as sites receive it: with the global statistics when scaling is federated. */
  static effectiveConfig(rec: ExperimentRecord): ExperimentConfig {
    return rec.stats && rec.config.data.format === 'csv'
      ? { ...rec.config, data: { ...rec.config.data, stats: rec.stats } }
      : rec.config;
  }

  async putRound(id: string, rec: RoundRecord): Promise<void> {
    await this.redis.hset(this.keys.rounds(id), String(rec.round), JSON.stringify(rec));
  }

  async rounds(id: string): Promise<RoundRecord[]> {
    const raw = await this.redis.hgetall(this.keys.rounds(id));
    return Object.entries(raw)
      .map(([round, v]) => parseStored(jsonText.pipe(roundRecordSchema), v, `round ${round} of experiment ${id}`))
      .sort((a, b) => a.round - b.round);
  }

  /** The latest round's record without reading every round (status displays poll this). */
  async lastRound(id: string): Promise<RoundRecord | undefined> {
    const rounds = (await this.redis.hkeys(this.keys.rounds(id))).map(Number);
    if (!rounds.length) return undefined;
    return this.round(id, Math.max(...rounds));
  }

  /** One round's record (an async version's), if committed. */
  async round(id: string, round: number): Promise<RoundRecord | undefined> {
    const raw = await this.redis.hget(this.keys.rounds(id), String(round));
    return raw ? parseStored(jsonText.pipe(roundRecordSchema), raw, `round ${round} of experiment ${id}`) : undefined;
  }

  /**
   * The rows `site` declared when it first trained in experiment `id` (pinned now if this is the
   * first time): a site cannot raise its FedAvg weight mid-experiment by declaring more.
   */
  async pinDeclaredRows(id: string, site: string, rows: number): Promise<number> {
    await this.redis.hsetnx(this.keys.declared(id), site, String(rows));
    return Number(await this.redis.hget(this.keys.declared(id), site));
  }

  /**
   * Cancels an experiment that has not ended: its record says so at once, and every round step that
   * runs after this sees it is no longer running and does nothing. Returns false when it had ended.
   */
  async cancel(id: string, why: string): Promise<boolean> {
    const rec = await this.get(id);
    if (!rec || rec.status === 'completed' || rec.status === 'failed' || rec.status === 'cancelled') return false;
    await this.update(id, { status: 'cancelled', phase: 'cancelled', stopped: why });
    await this.event(id, `cancelled: ${why}`);
    return true;
  }

  async event(id: string, message: string): Promise<void> {
    await this.redis.rpush(this.keys.events(id), JSON.stringify({ at: Date.now(), message }));
  }

  async events(id: string): Promise<{ at: number; message: string }[]> {
    return (await this.redis.lrange(this.keys.events(id), '0', '-1')).map((e) =>
      parseStored(jsonText.pipe(eventSchema), e, `event of experiment ${id}`),
    );
  }
}
