// End to end: the browser playground in real Chromium (Debian's `chromium`, driven by
// playwright-core through executablePath). Builds the page with esbuild, serves it on
// 127.0.0.1 at a free port, fits eight schools in the page's Web Worker, checks mu's
// posterior mean, that the page answered a click while fitting, that a malformed model's
// error names its line and column, and saves screenshots under test-output/playground/.
//
// Without /usr/bin/chromium this test is skipped LOUDLY (never a silent pass); enable it with
//   sudo apt-get install -y chromium        (.ci/run does this on CI)
// TILDE_CHROMIUM=/path/to/chromium points it at another Chromium build.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory, type Served } from '../../repl/serve.js';
// @ts-expect-error: a plain-JavaScript build script (examples/browser/build.mjs) without type declarations
import { buildPlayground, sizeReport } from '../../examples/browser/build.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test-output', 'playground');
const CHROMIUM = process.env['TILDE_CHROMIUM'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

// The engine's eight-schools tolerance: posteriordb reference mean 4.41, sd 3.31 for mu;
// a mean-field fit must land within 0.3 posterior sds of the reference mean.
const MU_REF = { mean: 4.41, sd: 3.31 };
const TOLERANCE = 0.3 * MU_REF.sd;

if (!HAVE_CHROMIUM) {
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! BROWSER TEST SKIPPED: ${CHROMIUM} not found, so the playground was NOT tested in a browser.\n` +
      `!! Enable it with:  sudo apt-get install -y chromium   (or set TILDE_CHROMIUM=/path/to/chromium)\n${bar}\n`,
  );
}

interface Metrics {
  workerReadyAt: number;
  fitPressedAt: number;
  firstElboAt: number;
  doneAt: number;
  fits: number;
}

const metrics = (page: Page) => page.evaluate(() => (window as unknown as { tildePlayground: { metrics: Metrics } }).tildePlayground.metrics);

describe.skipIf(!HAVE_CHROMIUM)('browser playground in Chromium', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const report: Record<string, unknown> = {};

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const site = join(OUT, 'site');
    const { files } = await buildPlayground({ outdir: site, logLevel: 'error' });
    report['sizes'] = sizeReport(files);
    served = await serveDirectory(site, { port: 0 });
    userDataDir = mkdtempSync(join(tmpdir(), 'tilde-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await served?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  });

  it('is served on 127.0.0.1 with the wasm binaries as application/wasm', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const wasm = await fetch(served.url + 'wasm/tfjs-backend-wasm-simd.wasm', { method: 'HEAD' });
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(served.url + '../package.json')).status).not.toBe(200);
  });

  it('fits eight schools in a worker: live ELBO, answers clicks, table, histograms, plan', async () => {
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    await expect.poll(() => page.locator('#status').textContent()).toContain('wasm available');
    await page.selectOption('#model-select', 'eight_schools');
    expect(await page.inputValue('#model')).toContain('tau ~ HalfCauchy(5)');
    expect(JSON.parse(await page.inputValue('#data'))).toMatchObject({ J: 8 });

    // Long tasks on the main thread while fitting (the worker should leave it free).
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
    });

    // The tfjs engine on wasm: its fit lasts long enough to click while it runs (the compiled step, below, is done first).
    await page.selectOption('#backend', 'wasm');
    await page.click('#fit');
    await page.waitForFunction(() => !Number.isNaN((window as unknown as { tildePlayground: { metrics: Metrics } }).tildePlayground.metrics.firstElboAt), null, { timeout: 30_000 });

    // While the fit runs: click the plan tab and time the answer.
    expect(await page.getAttribute('body', 'data-state')).toBe('fitting');
    const t0 = Date.now();
    await page.click('#tab-plan', { timeout: 2_000 });
    await page.waitForSelector('#tab-plan[aria-selected=true]', { timeout: 2_000 });
    const clickMs = Date.now() - t0;
    const m1 = await metrics(page);
    expect(Number.isNaN(m1.doneAt), 'the fit had already finished when the click was answered').toBe(true);
    expect(clickMs).toBeLessThan(1_000);
    expect(await page.isVisible('#panel-plan')).toBe(true);
    expect(await page.textContent('#plan')).toMatch(/mu\s*reparam/);
    // The ELBO curve keeps growing after the click: the fit was still running.
    const pointsAtClick = await page.textContent('#elbo-label');
    await page.click('#tab-posterior');

    await page.waitForSelector('body[data-state=done]', { timeout: 90_000 });
    const m = await metrics(page);
    const mu = page.locator('#summary tr[data-name="mu"]');
    const mean = Number(await mu.getAttribute('data-mean'));
    const sd = Number(await mu.getAttribute('data-sd'));
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    Object.assign(report, {
      muMean: mean,
      muSd: sd,
      clickAnsweredMs: clickMs,
      elboLabelAtClick: pointsAtClick,
      pageLoadToFirstElboMs: Math.round(m.firstElboAt),
      fitPressToFirstElboMs: Math.round(m.firstElboAt - m.fitPressedAt),
      pageLoadToWorkerReadyMs: Math.round(m.workerReadyAt),
      fitPressToDoneMs: Math.round(m.doneAt - m.fitPressedAt),
      status: await page.textContent('#status'),
      longTasksMs: longTasks.map(Math.round),
    });
    console.log(`[playground] ${JSON.stringify(report)}`);
    expect(Math.abs(mean - MU_REF.mean), `mu mean ${mean} vs reference ${MU_REF.mean} ± ${TOLERANCE}`).toBeLessThan(TOLERANCE);
    expect(sd).toBeGreaterThan(1);
    expect(await page.textContent('#status')).toMatch(/done: \d+ steps \(converged\) on wasm/);
    expect(await page.textContent('#elbo-label')).not.toBe(pointsAtClick);
    // No main-thread task anywhere near a fit's length.
    expect(Math.max(0, ...longTasks)).toBeLessThan(500);

    // Histograms for the scalar latents only; the table has every element.
    expect(await page.locator('#histograms figure').evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset['name']))).toEqual(['mu', 'tau']);
    expect(await page.locator('#summary tbody tr').count()).toBe(2 + 8 + 8);
    const planText = await page.textContent('#plan');
    expect(planText).toContain('HalfCauchy; automatic Normal guide in unconstrained space (ADVI) (eight_schools.tilde:19)');
    await page.screenshot({ path: join(OUT, 'eight-schools.png'), fullPage: true });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 120_000);

  it('shows a malformed model’s error at its line and column', async () => {
    await page.fill('#model', '');
    await page.locator('#model').pressSequentially('data N: int\nmu ~ Nromal(0, 1)\n', { delay: 5 });
    const error = page.locator('#errors li').first();
    await expect.poll(() => error.textContent(), { timeout: 10_000 }).toContain('line 2, column 6');
    const text = (await error.textContent())!;
    expect(text).toContain('eight_schools.tilde:2:6');
    expect(text).toMatch(/Nromal/);
    expect(await page.locator('#model-editor .gutter .bad').textContent()).toBe('2');
    expect(await page.locator('#model-editor .backdrop mark').textContent()).toBe('Nromal');
    // Fit refuses it the same way.
    await page.click('#fit');
    await page.waitForSelector('body[data-state=failed]', { timeout: 10_000 });
    expect(await page.locator('#errors li').first().textContent()).toContain('line 2, column 6');
    await page.screenshot({ path: join(OUT, 'error.png'), fullPage: true });
  }, 60_000);

  it('runs the compiled step in the worker by default, to the same posterior, loading no tfjs', async () => {
    // A fresh page and worker: the test above ran a fit on wasm, which loaded tfjs in its worker.
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    await page.selectOption('#model-select', 'normal_normal');
    await page.selectOption('#backend', 'auto');
    await page.click('#fit');
    await page.waitForSelector('body[data-state=done]', { timeout: 30_000 });
    // Generated JavaScript made with new Function inside the worker, which never imported tfjs.
    expect(await page.textContent('#status')).toMatch(/done: \d+ steps \(converged\) on js/);
    expect(await page.getAttribute('body', 'data-tfjs')).toBe('none');
    // The conjugate posterior (models/normal_normal.tilde's header): mean 2.933, sd 0.445.
    const mu = page.locator('#summary tr[data-name="mu"]');
    expect(Math.abs(Number(await mu.getAttribute('data-mean')) - 2.933)).toBeLessThan(0.3 * 0.445);
    expect(Math.abs(Number(await mu.getAttribute('data-sd')) - 0.445) / 0.445).toBeLessThan(0.2);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('Stop ends a running fit and keeps the result so far', async () => {
    // The mixture under RELAX, compiled: seconds of fitting, and its loop yields to the worker's messages every 20 ms.
    await page.selectOption('#model-select', 'gmm');
    await page.fill('#steps', '200000');
    await page.fill('#particles', '64');
    await page.click('#fit');
    await page.waitForFunction(() => (window as unknown as { tildePlayground: { metrics: Metrics } }).tildePlayground.metrics.firstElboAt > 0 && document.body.dataset['state'] === 'fitting', null, { timeout: 30_000 });
    await page.click('#stop');
    await page.waitForSelector('body[data-state=done]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/\(stopped\)/);
    expect(await page.textContent('#status')).toMatch(/on js/);
    expect(await page.locator('#summary tr[data-name="scale"]').count()).toBe(1);
  }, 60_000);
});
