// examples/node: one process compiles, fits (progress events, an AbortSignal timeout) and
// saves the fit with toJSON(); a second process loads it with Fit.fromJSON and answers the
// same queries. The answers must agree exactly. The examples are bundled from source with
// esbuild (dependencies stay external) so the test never runs a stale dist/.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
// Type-only: also puts the examples in tsc's program, so `npm run build` emits dist/examples/node/.
import type { main as fitMain } from '../../examples/node/fit.js';
import type { main as answerMain } from '../../examples/node/answer.js';
import type { Answers } from '../../examples/node/queries.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test-output', 'node-example');

// Both are `(argv: string[]) => Promise<number>` (the exit code).
export type ExampleMain = typeof fitMain | typeof answerMain;

async function bundle(name: 'fit' | 'answer'): Promise<string> {
  const outfile = join(OUT, `${name}.mjs`);
  await esbuild.build({
    entryPoints: [join(ROOT, 'examples', 'node', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

async function node(script: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [script, ...args], { cwd: OUT, env: { ...process.env, TILDE_BACKEND: '' }, timeout: 90_000 });
}

describe('examples/node', () => {
  const scripts: Record<string, string> = {};
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    scripts['fit'] = await bundle('fit');
    scripts['answer'] = await bundle('answer');
  });

  it('fits and saves in one process; a second process answers the same, exactly', async () => {
    const saved = join(OUT, 'eight_schools.fit.json');
    const first = await node(scripts['fit']!, [saved]);
    expect(first.stderr).toMatch(/step 100\/10000 {2}ELBO -?\d+\.\d\d/); // progress events
    expect(first.stderr).toMatch(/converged: \d+ steps in [\d.]+ s on cpu/);
    const fitted = JSON.parse(first.stdout.trim().split('\n').pop()!) as { stopped: string; answers: Answers };
    expect(fitted.stopped).toBe('converged');
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toMatchObject({ format: 'tilde-fit', version: 1 });

    const second = await node(scripts['answer']!, [saved]);
    const loaded = JSON.parse(second.stdout.trim()) as { answers: Answers };
    expect(loaded.answers).toEqual(fitted.answers);
    expect(JSON.stringify(loaded.answers)).toBe(JSON.stringify(fitted.answers));
    // And they are sensible: eight schools' mu is positive with high probability.
    expect(fitted.answers.queries['P(mu > 0)']).toBeGreaterThan(0.8);
    expect(Math.abs(fitted.answers.summary['mu']!.mean - 4.41)).toBeLessThan(0.3 * 3.31);
  }, 120_000);

  it('the AbortSignal timeout stops the fit and the partial fit is still saved', async () => {
    const saved = join(OUT, 'aborted.fit.json');
    const r = await node(scripts['fit']!, [saved, '--timeout-ms', '300']);
    expect(r.stderr).toMatch(/aborted: \d+ steps/);
    expect(r.stderr).toContain('timed out after 300 ms');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { stopped: string };
    expect(out.stopped).toBe('aborted');
  }, 60_000);
});
