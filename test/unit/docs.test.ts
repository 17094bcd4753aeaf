// The README stays a new user's page (under 12 KiB) and every link between it and docs/ lands on a real
// file and heading, so moving a section cannot silently strand a reference.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  for (const m of md.matchAll(/^#{1,4} (.*)$/gm))
    out.add(
      (m[1] ?? '')
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
  return out;
}

describe('README and docs/', () => {
  it('the README is under 12 KiB', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(12 * 1024);
  });

  it('every relative link resolves to a file, and every #anchor to a heading in it', () => {
    const broken: string[] = [];
    for (const page of pages)
      for (const m of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] ?? '';
        if (/^[a-z]+:/.test(link)) continue;
        const [file = '', anchor] = link.split('#');
        const target = file ? path.posix.normalize(path.posix.join(path.posix.dirname(page), file)) : page;
        if (!fs.existsSync(path.join(ROOT, target))) broken.push(`${page}: ${link} (no file)`);
        else if (anchor && target.endsWith('.md') && !anchors(read(target)).has(anchor))
          broken.push(`${page}: ${link} (no heading)`);
      }
    expect(broken).toEqual([]);
  });

  it('the README links every docs/ page', () => {
    const readme = read('README.md');
    for (const page of pages.filter((p) => p !== 'README.md')) expect(readme).toContain(`](${page}`);
  });
});
