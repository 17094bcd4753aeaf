// What a site sends is bounded before the coordinator stores or shows it.
import { describe, expect, it } from 'vitest';
import { boundedErrorReport, LIMITS, validateMetrics } from '../../coordinator/sessions/validate.js';

describe('bounds on what a site sends', () => {
  it('too many metric values are refused', () => {
    const values = Object.fromEntries(Array.from({ length: LIMITS.metrics + 1 }, (_, i) => [`m${i}`, 1]));
    expect(() => validateMetrics({ taskId: 't', round: 1, examples: '1', values })).toThrow(
      /Metrics carries \d+ values, at most/,
    );
  });

  it('an error report is cut to 1 KiB and an unknown code becomes WORKER_ERROR', () => {
    const r = boundedErrorReport('MY_OWN_CODE', 'y'.repeat(100_000));
    expect(r.code).toBe('WORKER_ERROR');
    expect(r.message.length).toBeLessThan(LIMITS.errorMessage + 20);
    expect(boundedErrorReport('DATA_INVALID', 'line 6').code).toBe('DATA_INVALID');
  });
});
