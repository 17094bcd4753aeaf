// The status pages in a real browser (Debian's chromium driven by playwright-core): what an operator
// sees is rendered, the charts have their points, and the overview links to each experiment's page.
// Set ACCORD_UPDATE_SCREENSHOTS=1 to refresh the screenshots under docs/.
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { CHROMIUM, missingTool, runsWith } from '../helpers/optional.js';

const TOKENS = {
  cleveland: 'tok-browser-c1',
  hungary: 'tok-browser-h1',
  switzerland: 'tok-browser-s1',
  va: 'tok-browser-v1',
};

describe.runIf(runsWith('chromium'))('status pages in Chromium', () => {
  let fed: TestFederation;
  let workers: AccordWorker[] = [];
  let browser: Browser;
  let id = '';

  beforeAll(async () => {
    expect(missingTool('chromium')).toBeUndefined();
    fed = await startFederation(TOKENS);
    workers = await startHeartWorkers(fed, TOKENS);
    id = await fed.submit({
      rounds: 3,
      clients: { min: 4, fraction: 1 },
      dp: { noise: 1, clip: 1, delta: 1e-5, maxEpsilon: 50 },
    });
    expect((await fed.waitFor(id, ['completed', 'failed'], 120_000)).status).toBe('completed');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  async function shoot(page: import('playwright-core').Page, name: string): Promise<void> {
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (process.env['ACCORD_UPDATE_SCREENSHOTS'] === '1') fs.writeFileSync(path.join(PACKAGE_ROOT, 'docs', name), png);
  }

  it('the overview lists the experiment and the four workers, and links to the experiment page', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`http://127.0.0.1:${fed.coordinator.httpPort}/`);
    await expect.poll(() => page.getByText('Connected workers (4)').isVisible()).toBe(true);
    for (const site of Object.keys(TOKENS))
      expect(await page.locator('td', { hasText: site }).count()).toBeGreaterThan(0);
    await shoot(page, 'status-page.png');
    await page.click(`a[href="/experiments/${id}"]`);
    await page.waitForURL(`**/experiments/${id}`);
    expect(await page.locator('h1').textContent()).toContain(id);
    await page.close();
  });

  it('the experiment page draws accuracy, loss and epsilon per round, and participation in one row for rounds alike', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`http://127.0.0.1:${fed.coordinator.httpPort}/experiments/${id}`);
    const accuracy = page.locator('svg[aria-label="Accuracy per round"]');
    const box = await accuracy.boundingBox();
    expect(box?.width).toBeGreaterThan(300); // laid out and drawn, not just present in the markup
    expect(await accuracy.locator('circle').count()).toBe(3);
    expect(await page.locator('svg[aria-label="Loss per round"] polyline').count()).toBe(2);
    expect(await page.locator('svg[aria-label="Privacy: epsilon spent"] polyline').count()).toBe(2); // spent, budget
    expect(await accuracy.locator('polyline').count()).toBe(1 + 4); // the mean and a line per site
    // Every site trained in every round: one row for the three.
    expect(await page.locator('td', { hasText: 'rounds 1–3' }).count()).toBe(1);
    expect(await page.locator('td.ok', { hasText: 'trained' }).count()).toBe(4);
    const download = await page.request.get(
      new URL((await page.locator('a', { hasText: 'report.json' }).getAttribute('href')) ?? '', page.url()).href,
    );
    expect(((await download.json()) as { rounds: unknown[] }).rounds).toHaveLength(3);
    await shoot(page, 'experiment-page.png');
    await page.close();
  });
});
