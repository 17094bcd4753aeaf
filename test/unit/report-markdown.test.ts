// report.md of any run: a row per round with its failures (table-safe), and epsilon with its terms.
import { describe, expect, it } from 'vitest';
import { experimentMarkdown } from '../../coordinator/experiments/report-markdown.js';
import { report } from '../helpers/report-fixture.js';

describe('experimentMarkdown', () => {
  const md = experimentMarkdown(report);
  const rows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));

  it('has one row per round, with sites, mean accuracy and epsilon', () => {
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\| 1 \| 2 \| 1\.0000 \| 50\.0% \| - \|.* \| 2\.000 \|$/);
    expect(md).toContain('epsilon (site-level, delta 1e-5, q=1, central noise)');
    expect(md).toMatch(/Unit of privacy: /);
  });

  it('names a failed site and its reason in its round, without breaking the table', () => {
    expect(rows[1]).toContain('beta: DATA_INVALID: <script>alert(1)</script>');
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(rows[0]!.split(/(?<!\\)\|/).length);
    const piped = experimentMarkdown({
      ...report,
      rounds: [{ ...report.rounds[0]!, failures: { beta: 'a | b' } }],
    });
    expect(piped).toContain('beta: a \\| b');
  });
});
