// Validation of worker messages on arrival (shapes are typed by proto-loader; values are checked here).

import { type ErrorCode, isErrorCode, ProtocolError } from '../../shared/errors';
import type { Hello__Output, Metrics__Output } from '../../shared/protocol/load';

export const SITE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Bounds on everything a site can send that the coordinator stores or shows: free text and repeated
 * fields. A site cannot grow the registry, the records or the logs beyond these.
 */
export const LIMITS = {
  /** Hello.token. */
  token: 256,
  /** Hello.backend, version, tfjs_version, device. */
  label: 64,
  /** Hello.datasets and the length of each name. */
  datasets: 16,
  datasetName: 64,
  /** Metrics values per message (column statistics: 3 per column of the schema, plus a few). */
  metrics: 3 * 512 + 16,
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
}

export function validateHello(h: Hello__Output | null | undefined): ValidHello {
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
  return {
    site: h.siteId,
    token: h.token,
    datasets,
    backend: bounded(h.backend, LIMITS.label, 'Hello.backend') || 'unknown',
    device: bounded(h.device, LIMITS.label, 'Hello.device') || 'unknown',
    version: bounded(h.version, LIMITS.label, 'Hello.version'),
    tfjsVersion: bounded(h.tfjsVersion, LIMITS.label, 'Hello.tfjs_version'),
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
