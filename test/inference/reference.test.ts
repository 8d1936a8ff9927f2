// Reference posteriors from posteriordb (../shared/reference/posteriordb beside the repository):
// with the FULL-RANK guide, every compared parameter's posterior mean must lie within 0.3
// reference sd of the reference mean (issue 3). The models are the translations in
// test/reference/*.tilde; names map Stan → tilde as test/reference/INDEX.md says (1-based
// `beta[k]` is 0-based `beta[k-1]`; scalars keep their names).
//
// The reference mean and sd of each parameter are those of posteriordb's 10,000 NUTS draws as
// summarised in reference.json (`parameters[name].mean` / `.sd`, n − 1 sd, chains pooled); their
// Monte Carlo error (sd/100) is negligible next to 0.3 sd.
//
// Budget: the whole file should run in about 2–3 minutes on 2 cores. The wasm backend is 3–5×
// faster per step than cpu on these models (N = 46 … 1192 rows), so the fits name it.
//
// Models that cannot meet the bound within a reasonable budget are NOT asserted: they are listed in
// NOT_ASSERTED below with the figures measured on this machine, and appear as `todo` in the output.
// bench/fit.ts prints the mean-field and full-rank errors of every model.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile, type FitOptions } from '../../inference/model.js';
import { inReferenceLabels } from '../reference/relabel.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REF_DIR = fileURLToPath(new URL('../../../shared/reference/posteriordb', import.meta.url));
const MODELS_DIR = fileURLToPath(new URL('../reference', import.meta.url));

interface RefParam {
  mean: number;
  sd: number;
}

/** Stan's 1-based element name → tilde's 0-based one: `theta[1]` → `theta[0]`, `A[2,3]` → `A[1, 2]`. */
export function tildeName(stan: string): string {
  const m = /^(\w+)\[([\d,\s]+)\]$/.exec(stan);
  if (!m) return stan;
  const idx = m[2]!.split(',').map((s) => Number(s.trim()) - 1);
  return `${m[1]}[${idx.join(', ')}]`;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/**
 * Full-rank fits that meet the bound, all at the default options (8 particles, lr 0.05, tolRelObj
 * 0.01) with the default init 'auto': the guide starts at the Laplace approximation (inference/
 * init.ts) and trains in its whitened coordinates. Figures and times in bench/README.md.
 */
const DEFAULTS: FitOptions = { steps: 3000, particles: 8, lr: 0.05, tolRelObj: 0.01, seed: 1 };
const ASSERTED: Record<string, FitOptions> = {
  'eight_schools-eight_schools_noncentered': DEFAULTS,
  // From random inits 8 particles ended at 0.40 sd on sigma; from the Laplace start 0.06–0.08.
  'mesquite-logmesquite': DEFAULTS,
  // The next four never got near from random inits (4.1, 14.5, 40.6 sd, and nes diverged): long
  // correlated ridges from uncentred predictors and flat-prior stand-ins, or sblrc's betas with
  // posterior sd 0.001, which Adam's first steps of 0.05 throw 50 sds away.
  'kidiq-kidscore_momiq': DEFAULTS,
  'earnings-logearn_height': DEFAULTS,
  'sblrc-blr': DEFAULTS,
  'nes2000-nes': DEFAULTS,
  // The funnel has no mode, so no Laplace start: random inits, and a longer, less noisy run than the
  // defaults (which stop at 750 steps with err 1.04 on mu). Seeds 1–3: err 0.21, 0.17, 0.22 (tau),
  // 16–34 s; k-hat 0.7–1.1 says the guide is still a poor fit to the funnel's shape.
  'eight_schools-eight_schools_centered': { steps: 4000, particles: 32, lr: 0.05, tolRelObj: 0.001, seed: 1 },
  // The 195-observation loop runs vectorised (issue 3): converged at 450 steps (18 s under load 9.5), err 0.07 (alpha).
  'arK-arK': DEFAULTS,
  // The volatility recursion stays unrolled (each s[t] reads s[t-1]); from the Laplace start 150
  // steps are enough: err 0.065 (alpha1) on wasm and cpu, 27–33 s at load 5 (450 steps at the
  // defaults: 0.053, 75 s).
  'garch-garch11': { ...DEFAULTS, steps: 150 },
  // z (1,000 assignments, @enumerate) summed out for the Laplace start only (model.ts): converged at
  // 450 steps, err 0.03 / 0.08 / 0.11 on seeds 1–3, 11–12 s each (quiet machine). From random inits
  // it took 1,725 steps and 120 s to reach 0.19.
  'low_dim_gauss_mix-low_dim_gauss_mix': DEFAULTS,
  // The forward algorithm by hand (states summed out, target +=): the chain's 100 steps are an
  // unrolled loop of small ops, 0.48 s per step on tfjs's wasm engine but ~15 ms compiled, so this
  // one runs on the compiled engine (backend 'auto', tracing wasm's kernels). Laplace start in 13
  // Newton steps, converged at 450 steps, 4 s (quiet) to 34 s (load 19); err 0.03 (theta1[1]), 0.07 (theta2[1]),
  // 0.06 (mu[1]), 0.00 (mu[2]).
  'hmm_example-hmm_example': { ...DEFAULTS, backend: 'auto' },
};

/**
 * Left out of the asserting set, with the figures measured (full-rank guide, wasm backend, 2 cores
 * shared with other jobs; "err" = max |mean − ref mean| / ref sd over the parameters).
 */
const NOT_ASSERTED: Record<string, string> = {};

const haveReference = existsSync(REF_DIR);
if (!haveReference) {
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!! SKIPPING the posteriordb reference tests: ${REF_DIR} does not exist.\n` +
      `!! Clone the repository with shared/ beside it (../shared/reference/posteriordb relative to ${ROOT}).\n${bar}\n`,
  );
}

describe.skipIf(!haveReference)('posteriordb reference posteriors, full-rank guide', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('every translation is either asserted or listed with its reason', () => {
    const translations = readdirSync(MODELS_DIR)
      .filter((f) => f.endsWith('.tilde'))
      .map((f) => f.replace(/\.tilde$/, ''))
      .sort();
    expect(translations).toEqual([...Object.keys(ASSERTED), ...Object.keys(NOT_ASSERTED)].sort());
    const index = readFileSync(`${MODELS_DIR}/INDEX.md`, 'utf8');
    for (const name of translations) expect(index, `INDEX.md has no row for ${name}`).toContain(`| ${name} |`);
    for (const name of translations) expect(existsSync(`${REF_DIR}/${name}/reference.json`), `no reference for ${name}`).toBe(true);
  });

  for (const [name, options] of Object.entries(ASSERTED)) {
    it(`${name}: every posterior mean within 0.3 reference sd`, { timeout: 180_000 }, async () => {
      const source = readFileSync(`${MODELS_DIR}/${name}.tilde`, 'utf8');
      const data = readJson<Record<string, unknown>>(`${REF_DIR}/${name}/data.json`);
      const reference = readJson<{ parameters: Record<string, RefParam> }>(`${REF_DIR}/${name}/reference.json`).parameters;
      const fit = await compile(source, { file: `${name}.tilde` }).fit({ ...options, data, guide: 'fullrank', backend: options.backend ?? 'wasm' });
      const summary = inReferenceLabels(name, fit.summary());
      const rows = Object.entries(reference).map(([stan, ref]) => {
        const ours = summary[tildeName(stan)];
        return { stan, tilde: tildeName(stan), mean: ours?.mean ?? NaN, refMean: ref.mean, refSd: ref.sd, z: ours ? Math.abs(ours.mean - ref.mean) / ref.sd : Infinity };
      });
      const missing = rows.filter((r) => !(r.tilde in summary)).map((r) => `${r.stan} (as ${r.tilde})`);
      expect(missing, `reference parameters missing from the fit's summary`).toEqual([]);
      const table = rows.map((r) => `${r.stan.padEnd(10)} ${r.mean.toFixed(4).padStart(10)} vs ${r.refMean.toFixed(4).padStart(10)} (sd ${r.refSd.toFixed(4)}): ${r.z.toFixed(3)} sd`).join('\n');
      const d = fit.diagnostics;
      const context = `${name}: ${d.steps} steps, ${d.seconds.toFixed(1)} s, converged ${d.converged}, khat ${d.khat.toFixed(2)}\n${table}`;
      for (const r of rows) expect(r.z, `${r.stan}\n${context}`).toBeLessThan(0.3);
    });
  }

  for (const [name, why] of Object.entries(NOT_ASSERTED)) it.todo(`${name}: not asserted — ${why}`);
});

// Without the references the suite above is skipped as a whole; this names why in the skip list.
if (!haveReference) it.skip(`posteriordb reference posteriors: ${REF_DIR} is missing (clone shared/ beside the repository)`);
