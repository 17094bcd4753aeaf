// Validation of worker messages on arrival (shapes are typed by proto-loader; values are checked here).

import { isProfileMetric, metricsToProfile } from '../../shared/analysis/profile.js';
import type { DataConfig } from '../../shared/config/schema.js';
import { metricsToColumnSums } from '../../shared/data/column-sums.js';
import { columnSumsProblem, MAX_SITE_ROWS } from '../../shared/data/stats-check.js';
import { type ErrorCode, isErrorCode, ProtocolError } from '../../shared/errors/index.js';
import type { Hello__Output, Metrics__Output } from '../../shared/protocol/load.js';

import { SITE_ID } from '../../shared/protocol/site-id.js';

/**
 * Bounds on everything a site can send that the coordinator stores or shows: free text and repeated
 * fields. A site cannot grow the registry, the records or the logs beyond these.
 */
export const LIMITS = {
  /** Hello.token. */
  token: 256,
  /** Hello.backend, version, tfjs_version, device, worker_instance. */
  label: 64,
  /** Hello.backend_reason (a longer one is cut, not refused: it only explains). */
  backendReason: 512,
  /** Hello.datasets and the length of each name. */
  datasets: 16,
  datasetName: 64,
  /** Metrics values per message (column statistics: 3 per column of the schema, plus a few). */
  metrics: 3 * 512 + 16,
  /** Rows a site may declare (Hello.datasets[].examples, all data sets together): bounds its FedAvg weight. */
  declaredRows: MAX_SITE_ROWS,
  /** |sum| and sum of squares of a column statistic. */
  statistic: 1e15,
  /** Error.message (a longer message is cut, not refused: the failure itself matters). */
  errorMessage: 1024,
} as const;

/** Refuses a string longer than `max`, naming the field (the value itself is not echoed). */
function bounded(value: string, max: number, field: string): string {
  if (value.length > max)
    throw new ProtocolError(`${field} is ${value.length} characters, at most ${max}`, 'TOO_LARGE');
  return value;
}
export interface ValidHello {
  site: string;
  token: string;
  datasets: { name: string; examples: number }[];
  backend: string;
  device: string;
  version: string;
  tfjsVersion: string;
  /** Why the site trains on that backend (what it skipped and why); may be empty (older workers). */
  backendReason: string;
  /** The worker process's id (admission.ts); empty from older workers. */
  workerInstance: string;
}

export function validateHello(h: Hello__Output | null | undefined, maxRows: number = LIMITS.declaredRows): ValidHello {
  if (!h) throw new ProtocolError('the first message must be Hello', 'EXPECTED_HELLO');
  if (!SITE_ID.test(h.siteId))
    throw new ProtocolError(
      `Hello.site_id "${h.siteId}" is not a valid site name (letters, digits, _ . -; 1-64)`,
      'BAD_HELLO',
    );
  if (!h.token) throw new ProtocolError('Hello.token is empty', 'BAD_HELLO');
  bounded(h.token, LIMITS.token, 'Hello.token');
  if (h.datasets.length > LIMITS.datasets)
    throw new ProtocolError(`Hello declares ${h.datasets.length} data sets, at most ${LIMITS.datasets}`, 'TOO_LARGE');
  const datasets = h.datasets.map((d, i) => {
    const examples = Number(d.examples);
    if (!d.name || !Number.isSafeInteger(examples) || examples < 0)
      throw new ProtocolError(`Hello.datasets[${i}] is invalid`, 'BAD_HELLO');
    return { name: bounded(d.name, LIMITS.datasetName, `Hello.datasets[${i}].name`), examples };
  });
  const rows = datasets.reduce((a, d) => a + d.examples, 0);
  if (rows > maxRows)
    throw new ProtocolError(`Hello declares ${rows} rows, at most ${maxRows} (the coordinator's ceiling)`, 'TOO_LARGE');
  return {
    site: h.siteId,
    token: h.token,
    datasets,
    backend: bounded(h.backend, LIMITS.label, 'Hello.backend') || 'unknown',
    device: bounded(h.device, LIMITS.label, 'Hello.device') || 'unknown',
    version: bounded(h.version, LIMITS.label, 'Hello.version'),
    tfjsVersion: bounded(h.tfjsVersion, LIMITS.label, 'Hello.tfjs_version'),
    backendReason: h.backendReason.slice(0, LIMITS.backendReason),
    workerInstance: bounded(h.workerInstance ?? '', LIMITS.label, 'Hello.worker_instance'),
  };
}

export interface ValidMetrics {
  taskId: string;
  round: number;
  examples: number;
  values: Record<string, number>;
}

export function validateMetrics(m: Metrics__Output): ValidMetrics {
  const examples = Number(m.examples);
  if (!Number.isSafeInteger(examples) || examples < 0)
    throw new ProtocolError(`Metrics.examples "${m.examples}" is not a count`, 'BAD_METRICS');
  const values: Record<string, number> = {};
  const entries = Object.entries(m.values);
  if (entries.length > LIMITS.metrics)
    throw new ProtocolError(`Metrics carries ${entries.length} values, at most ${LIMITS.metrics}`, 'TOO_LARGE');
  for (const [k, v] of entries) {
    if (!/^[A-Za-z0-9_.]{1,64}$/.test(k)) throw new ProtocolError(`Metrics: bad metric name "${k}"`, 'BAD_METRICS');
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ProtocolError(`Metrics.${k} is ${v} (NaN or Inf not allowed)`, 'NON_FINITE');
    values[k] = v;
  }
  return { taskId: m.taskId, round: m.round, examples, values };
}

/** A site's error report, cut to size: the code must be one of ours or it is recorded as WORKER_ERROR. */
export function boundedErrorReport(code: string, message: string): { code: ErrorCode; message: string } {
  const text = message.length > LIMITS.errorMessage ? `${message.slice(0, LIMITS.errorMessage)}... (cut)` : message;
  return { code: isErrorCode(code) ? code : 'WORKER_ERROR', message: text };
}

const inUnit = (v: number | undefined) => v === undefined || (v >= 0 && v <= 1);

/** How the coordinator's refusal of a site's column statistics begins (the statistics step counts these sites). */
export const STATS_REFUSED = 'stats metrics: ';

/**
 * What a site's metrics may claim for a task: evaluation counts within the rows it declared,
 * accuracies and AUC in [0, 1], losses not negative; column statistics with whole counts within the
 * rows, finite bounded sums and a sum of squares consistent with them (sum^2 <= n * sumsq). Given the
 * task's data settings (`data`, column statistics in clear), also: only n, sum and sumsq of numeric
 * columns of the schema, all three for each column sent, and sums that values within the declared
 * ranges could give (shared/data/stats-check.ts).
 */
export function checkTaskMetrics(
  kind: 'train' | 'evaluate' | 'stats',
  m: ValidMetrics,
  declaredRows: number,
  data?: DataConfig,
): void {
  const v = m.values;
  const bad = (why: string) =>
    new ProtocolError(kind === 'stats' ? `${STATS_REFUSED}${why}` : `${kind} metrics: ${why}`, 'BAD_METRICS');
  if (m.examples > declaredRows) throw bad(`${m.examples} examples, the site declared ${declaredRows} rows`);
  for (const k of ['accuracy', 'auc', 'startAccuracy', 'personal.accuracy', 'personal.auc'] as const)
    if (!inUnit(v[k])) throw bad(`${k} ${v[k]} is outside [0, 1]`);
  for (const k of ['loss', 'startLoss', 'personal.loss'] as const)
    if ((v[k] ?? 0) < 0) throw bad(`${k} ${v[k]} is negative`);
  for (const k of ['personal.correct'] as const)
    if (v[k] !== undefined && !(Number.isInteger(v[k]) && v[k] >= 0 && v[k] <= m.examples))
      throw bad(`${k} ${v[k]} is not a whole number within the ${m.examples} test rows`);
  if (kind !== 'stats') return;
  for (const [key, value] of Object.entries(v)) {
    // An analysis profile (data.analysis) is checked where it is read (shared/analysis/profile.ts).
    if (isProfileMetric(key)) continue;
    const [what, col] = key.split('.');
    const n = v[`n.${col}`] ?? 0;
    if (what === 'n' && !(Number.isInteger(value) && value >= 0 && value <= m.examples))
      throw bad(`column ${col}: count ${value} is not a whole number within the ${m.examples} rows`);
    if ((what === 'sum' || what === 'sumsq') && Math.abs(value) > LIMITS.statistic)
      throw bad(`column ${col}: ${what} ${value} is beyond ${LIMITS.statistic}`);
    if (what === 'sumsq' && (value < 0 || (v[`sum.${col}`] ?? 0) ** 2 > n * value * (1 + 1e-9) + 1e-9))
      throw bad(`column ${col}: sum of squares ${value} cannot come from ${n} values summing to ${v[`sum.${col}`]}`);
  }
  if (data?.format !== 'csv') return;
  // A key the site left out would count as 0 (a sum without its sum of squares escaped the check above).
  for (const key of Object.keys(v)) {
    if (isProfileMetric(key) && data.analysis) continue;
    const [what, col] = key.split('.');
    const k = Number(col);
    if (
      !['n', 'sum', 'sumsq'].includes(what ?? '') ||
      !Number.isInteger(k) ||
      !data.columns[k] ||
      `${what}.${k}` !== key
    )
      throw bad(`"${key}" is not a column statistic (n.K, sum.K, sumsq.K by schema column)`);
    if (!(`n.${k}` in v && `sum.${k}` in v && `sumsq.${k}` in v))
      throw bad(`column ${k}: n, sum and sumsq must be sent together`);
  }
  const why = columnSumsProblem(metricsToColumnSums(v, m.examples, data.columns), data, { maxRows: declaredRows });
  if (why) throw bad(why);
  // Under secure aggregation the site only acknowledges: its profile is in the masked vector.
  if (data.analysis && Object.keys(v).some(isProfileMetric)) {
    const profile = metricsToProfile(v, data, data.analysis);
    if (typeof profile === 'string') throw bad(`analysis: ${profile}`);
    if (profile.rows > declaredRows) throw bad(`analysis: ${profile.rows} rows, the site declared ${declaredRows}`);
  }
}
