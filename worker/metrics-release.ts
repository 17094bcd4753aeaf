// What a metric on the site's test rows may say: rounded to the site's decimals, and only from enough
// rows that no single row moves it far. A crafted or changed model gets a coarse answer at most.
import { PolicyError } from '../shared/errors/index.js';
import type { SitePolicy } from './policy.js';

export type MetricsRules = SitePolicy['metrics'];

/** Metric values rounded to `decimals` (non-finite values are dropped: the coordinator refuses them). */
export function roundMetrics(values: Record<string, number>, decimals: number): Record<string, number> {
  const f = 10 ** decimals;
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => Number.isFinite(v))
      .map(([k, v]) => [k, Math.round(v * f) / f]),
  );
}

/** Metric values as the site releases them: finite, and rounded as its policy says when it has one. */
export function releaseMetrics(
  values: Record<string, number>,
  rules: MetricsRules | undefined,
): Record<string, number> {
  return rules ? roundMetrics(values, rules.decimals) : finite(values);
}

/** Drops metrics that are not finite numbers (the coordinator would refuse them). */
function finite(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

/** Throws TEST_TOO_SMALL when `testRows` is below the site's minimum (the evaluation goes on without it). */
export function checkTestSize(rules: MetricsRules, testRows: number): void {
  if (testRows < rules.minTestRows)
    throw new PolicyError(
      `refused by the site's policy: metrics.minTestRows: the site releases metrics from at least ${rules.minTestRows} test rows`,
      'TEST_TOO_SMALL',
    );
}
