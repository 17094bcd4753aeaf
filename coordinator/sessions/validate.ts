// Validation of worker messages on arrival (shapes are typed by proto-loader; values are checked here).

import { ProtocolError } from '../../shared/errors';
import type { Hello__Output, Metrics__Output } from '../../shared/protocol/load';

export const SITE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

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
  const datasets = h.datasets.map((d, i) => {
    const examples = Number(d.examples);
    if (!d.name || !Number.isSafeInteger(examples) || examples < 0)
      throw new ProtocolError(`Hello.datasets[${i}] is invalid`, 'BAD_HELLO');
    return { name: d.name, examples };
  });
  if (h.backend.length > 32 || h.version.length > 64)
    throw new ProtocolError('Hello.backend or Hello.version is too long', 'BAD_HELLO');
  return {
    site: h.siteId,
    token: h.token,
    datasets,
    backend: h.backend || 'unknown',
    device: h.device || 'unknown',
    version: h.version,
    tfjsVersion: h.tfjsVersion,
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
  for (const [k, v] of Object.entries(m.values)) {
    if (!/^[A-Za-z0-9_.]{1,64}$/.test(k)) throw new ProtocolError(`Metrics: bad metric name "${k}"`, 'BAD_METRICS');
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ProtocolError(`Metrics.${k} is ${v} (NaN or Inf not allowed)`, 'NON_FINITE');
    values[k] = v;
  }
  return { taskId: m.taskId, round: m.round, examples, values };
}
