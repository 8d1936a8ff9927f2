// docs/api.md's examples are the files in examples/api/: this test runs each one (importing it
// runs it; `result` is what it computed) and checks that the document shows every file verbatim
// (with the package name 'tilde' in place of the relative import) and documents every export
// of the package root.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import * as api from '../../index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
const FILES = readdirSync(join(ROOT, 'examples', 'api')).filter((f) => f.endsWith('.ts')).sort();

/** What the document must show for a file: the file with `from 'tilde'`. */
const asDocumented = (text: string) => text.replace(/from '\.\.\/\.\.\/index\.js'/g, "from 'tilde'").trimEnd();

// Each example prints what it shows; keep the test output quiet.
vi.spyOn(console, 'log').mockImplementation(() => undefined);

// Literal import paths, so that tsc type-checks the examples too.
const EXAMPLES = {
  compile: () => import('../../examples/api/compile.js'),
  fit: () => import('../../examples/api/fit.js'),
  summary: () => import('../../examples/api/summary.js'),
  query: () => import('../../examples/api/query.js'),
  samples: () => import('../../examples/api/samples.js'),
  plan: () => import('../../examples/api/plan.js'),
  diagnostics: () => import('../../examples/api/diagnostics.js'),
  predict: () => import('../../examples/api/predict.js'),
  'save-load': () => import('../../examples/api/save-load.js'),
  'model-error': () => import('../../examples/api/model-error.js'),
  'render-diagnostic': () => import('../../examples/api/render-diagnostic.js'),
  'fit-error': () => import('../../examples/api/fit-error.js'),
  backend: () => import('../../examples/api/backend.js'),
  'front-end': () => import('../../examples/api/front-end.js'),
  data: () => import('../../examples/api/data.js'),
  families: () => import('../../examples/api/families.js'),
} as const;

const run = async <T>(name: keyof typeof EXAMPLES) => ((await EXAMPLES[name]()) as unknown as { result: T }).result;

describe('docs/api.md', () => {
  it('shows every example file verbatim, each under a link to it', () => {
    expect(FILES.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(Object.keys(EXAMPLES).sort());
    for (const f of FILES) {
      const text = readFileSync(join(ROOT, 'examples', 'api', f), 'utf8');
      expect(DOC, `docs/api.md does not link examples/api/${f}`).toContain(`(../examples/api/${f})`);
      expect(DOC, `docs/api.md does not show examples/api/${f} as it is`).toContain('```ts\n' + asDocumented(text) + '\n```');
    }
  });

  it('documents every export of the package root', () => {
    for (const name of Object.keys(api)) expect(DOC, `${name} is not documented`).toMatch(new RegExp(`^#+ .*\`${name}\\b`, 'm'));
  });
});

describe('examples/api', () => {
  it('compile', async () => {
    expect(await run('compile')).toEqual({ mode: 'inference', sites: ['p'] });
  });

  it('fit: progress events, convergence', async () => {
    const r = await run<{ stopped: string; progressEvents: number; lastStep: number }>('fit');
    expect(r.stopped).toBe('converged');
    expect(r.progressEvents).toBeGreaterThan(2);
  });

  it('summary: the Beta(9, 10) posterior', async () => {
    const r = await run<Record<string, { mean: number; sd: number }>>('summary');
    expect(Math.abs(r['p']!.mean - 9 / 19)).toBeLessThan(0.3 * 0.1116);
    expect(r['p']!.sd).toBeGreaterThan(0.05);
  });

  it('query', async () => {
    const r = await run<Record<string, api.QueryResult>>('query');
    expect(r['above']).toMatchObject({ kind: 'probability', draws: 1000 });
    expect(Math.abs((r['above'] as { value: number }).value - 0.4073)).toBeLessThan(0.15);
    expect(r['second']!.kind).toBe('expectation');
    expect(r['q90']).toMatchObject({ kind: 'quantile', q: 0.9 });
    expect(r['odds']!.kind).toBe('summary');
    expect(Object.keys((r['odds'] as { rows: object }).rows)).toEqual(['p / (1 - p)']);
  });

  it('samples', async () => {
    const r = await run<{ draws: number[]; nDraws: number; length: number }>('samples');
    expect(r.draws).toHaveLength(5);
    for (const x of r.draws) expect(x > 0 && x < 1).toBe(true);
    expect(r).toMatchObject({ nDraws: 1000, length: 1000 });
  });

  it('plan', async () => {
    expect(await run('plan')).toEqual({ p: { estimator: 'reparam', reason: expect.stringContaining('(coin.tilde:3)') } });
  });

  it('diagnostics', async () => {
    const r = await run<{ diagnostics: api.FitDiagnostics; traceLength: number }>('diagnostics');
    expect(r.diagnostics).toMatchObject({ backend: 'cpu', converged: true, stopped: 'converged' });
    expect(r.traceLength).toBe(r.diagnostics.steps);
  });

  it('predict', async () => {
    const r = await run<Record<string, { mean: number }>>('predict');
    expect(Object.keys(r)).toHaveLength(15);
    expect(r['x[0]']!.mean).toBeGreaterThan(0.2);
  });

  it('save and load', async () => {
    expect(await run('save-load')).toMatchObject({ same: true });
  });

  it('ModelError', async () => {
    const r = await run<{ line: number; column: number; message: string }[]>('model-error');
    expect(r.map((d) => [d.line, d.column])).toContainEqual([2, 6]);
    expect(r.find((d) => d.line === 2)!.message).toContain('Nromal');
  });

  it('renderDiagnostic', async () => {
    expect(await run<string>('render-diagnostic')).toMatch(/^prior\.tilde:\d+:\d+: warning: /);
  });

  it('FitError and friends', async () => {
    const r = await run<string[]>('fit-error');
    expect(r[0]).toBe('RangeError: fit option steps must be a positive integer, found 0');
    expect(r[1]).toBe('ModelError: m.tilde:2:6: y: expected real[N] (N = 3), found an array of 2 numbers (in m.json)');
  });

  it('backend selection', async () => {
    const r = await run<{ chosen: string; active: string; unavailable: string }>('backend');
    expect(r.chosen).toBe('cpu');
    expect(r.unavailable).toMatch(/backend 'webgl' is not available here/);
  });

  it('front end in stages', async () => {
    const r = await run<{ kinds: string[][]; printed: string; ok: boolean }>('front-end');
    expect(r.kinds).toEqual([['J', 'data'], ['y', 'data'], ['mu', 'latent']]);
    expect(r.printed).toContain('mu ~ Normal(0, 5)');
    expect(r.ok).toBe(true);
  });

  it('data', async () => {
    const r = await run<{ columns: Record<string, number[]>; names: string[] }>('data');
    expect(r.columns).toEqual({ x: [1, 2, 3], y: [2.1, 3.9, 6.2] });
    expect(r.names).toEqual(['N', 's', 'x', 'y']);
  });

  it('families and defaults', async () => {
    const r = await run<{ names: string[]; normal: string[]; defaults: object }>('families');
    expect(r.names).toContain('Bernoulli');
    expect(r.normal).toEqual(['loc', 'scale']);
    expect(r.defaults).toBe(api.FIT_DEFAULTS);
  });
});
