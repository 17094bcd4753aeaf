import { describe, expect, it } from 'vitest';
import type { ExperimentRecord } from '../../coordinator/experiments/records.js';
import { renderDashboard } from '../../coordinator/http/dashboard.js';
import { parseExperiment } from '../../shared/config/load.js';

describe('status page', () => {
  it('escapes what sites and configs supply', () => {
    const config = parseExperiment(
      {
        name: '<b>x</b>',
        model: { zoo: 'logreg' },
        data: { format: 'csv', columns: ['a', 'y'], label: 'y', classes: 2 },
        rounds: 5,
      },
      't',
    );
    const rec = {
      id: 'exp-1',
      name: config.name,
      status: 'failed',
      config,
      createdAt: 0,
      updatedAt: 0,
      round: 2,
      committed: 1,
      phase: 'failed',
      error: 'site <img src=x onerror=alert(1)> refused',
    } as ExperimentRecord;
    const html = renderDashboard({
      experiments: [{ rec }],
      workers: [
        {
          site: '<script>alert(1)</script>',
          instance: 'c1',
          sessionId: 's',
          connectedAt: 0,
          lastSeen: 9_000,
          datasets: [{ name: 'd', examples: 3 }],
          backend: 'wasm',
          device: 'cpu',
          version: '1',
          tfjsVersion: '4',
        },
      ],
      now: 10_000,
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('1 / 5');
    expect(html).toContain('Connected workers (1)');
  });
});
