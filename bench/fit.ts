// Fit throughput and accuracy. Run after the build: node dist/bench/fit.js [--quick] [--reference-only] [--models-only] [--slow] [--init auto|laplace|random] [--seeds N]
//
// Table 1, the continuous models in models/ on the cpu and wasm backends:
//   steps/s   median of 3 fits of exactly 1,000 steps (convergence off: tolRelObj 1e-12)
//   to conv.  wall time of one fit with default options (compile + fit, i.e. to convergence)
//   err       max |posterior mean − known mean| / known sd over the parameters, for the default
//             fit, where a closed form or a reference posterior is known (the model files say which)
// Table 2, the posteriordb translations in test/reference/ (reference in ../shared/reference/posteriordb):
//   max |mean − ref mean| / ref sd for the mean-field and the full-rank guide, fitted on wasm with
//   the options test/inference/reference.test.ts uses. The models whose per-step cost makes a fit
//   take minutes (unrolled loops, explicit discrete states) run only with --slow. --init sets the
//   guide's start (default auto: the Laplace start where the model allows it; the table says which
//   start each fit had); --seeds N fits seeds 1..N and reports the worst error over them.
// Timings are wall clock on whatever else the machine is doing; read them as rough.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, FIT_OPTIONS, selectBackend, type FitOptions } from '../index.js';
import { inReferenceLabels } from '../test/reference/relabel.js';

type Backend = 'cpu' | 'wasm';
interface Known {
  mean: number;
  sd: number;
}

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../..' : '..', import.meta.url));
const REF_DIR = `${ROOT}/../shared/reference/posteriordb`;
const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const valueOf = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const initKind = (valueOf('--init') ?? 'auto') as Required<FitOptions>['init'];
const inits = FIT_OPTIONS.find((o) => o.name === 'init')!.type.choices;
if (!inits.includes(initKind)) throw new Error(`--init must be ${inits.join(', ')}, found ${initKind}`);
const seeds = Number(valueOf('--seeds') ?? 1);

/** Posterior means and sds stated in the model files (closed forms, or long MCMC runs). */
const KNOWN: Record<string, Record<string, Known>> = {
  coin: { p: { mean: 9 / 19, sd: 0.111648 } },
  normal_normal: { mu: { mean: 2.93332, sd: 0.445435 } },
  gamma_poisson: { rate: { mean: 89 / 25.5, sd: Math.sqrt(89) / 25.5 } },
  dirichlet_categorical: {
    'theta[0]': { mean: 0.255814, sd: 0.0657774 },
    'theta[1]': { mean: 0.488372, sd: 0.0753574 },
    'theta[2]': { mean: 0.255814, sd: 0.0657774 },
  },
  linear_regression: { alpha: { mean: 0.902, sd: 0.08 }, beta: { mean: 2.012, sd: 0.068 }, sigma: { mean: 0.551, sd: 0.058 } },
  logistic_regression: {
    alpha: { mean: -0.614, sd: 0.14 },
    'beta[0]': { mean: 1.022, sd: 0.157 },
    'beta[1]': { mean: -2.298, sd: 0.224 },
    'beta[2]': { mean: 0.518, sd: 0.139 },
    'beta[3]': { mean: 0.17, sd: 0.137 },
    'beta[4]': { mean: 1.553, sd: 0.181 },
  },
  poisson_regression: { alpha: { mean: 0.443, sd: 0.088 }, 'beta[0]': { mean: 0.753, sd: 0.088 }, 'beta[1]': { mean: -0.43, sd: 0.08 } },
};

const CONTINUOUS = ['coin', 'normal_normal', 'gamma_poisson', 'dirichlet_categorical', 'linear_regression', 'logistic_regression', 'poisson_regression', 'eight_schools'];

function tildeName(stan: string): string {
  const m = /^(\w+)\[([\d,\s]+)\]$/.exec(stan);
  if (!m) return stan;
  return `${m[1]}[${m[2]!.split(',').map((s) => Number(s.trim()) - 1).join(', ')}]`;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function referenceOf(name: string): Record<string, Known> | undefined {
  const f = `${REF_DIR}/${name}/reference.json`;
  if (!existsSync(f)) return undefined;
  const params = readJson<{ parameters: Record<string, Known> }>(f).parameters;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [tildeName(k), { mean: v.mean, sd: v.sd }]));
}

function maxError(summary: Record<string, { mean: number }>, known: Record<string, Known>): { err: number; at: string } {
  let err = 0;
  let at = '';
  for (const [name, k] of Object.entries(known)) {
    const s = summary[name];
    const e = s ? Math.abs(s.mean - k.mean) / k.sd : Infinity;
    if (e > err || !s) [err, at] = [e, name];
  }
  return { err, at };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function modelsTable(): Promise<void> {
  const rows: string[][] = [];
  const reps = quick ? 1 : 3;
  for (const backend of ['cpu', 'wasm'] as Backend[]) {
    await selectBackend(backend);
    for (const name of CONTINUOUS) {
      const source = readFileSync(`${ROOT}/models/${name}.tilde`, 'utf8');
      const data = readJson<Record<string, unknown>>(`${ROOT}/models/${name}.json`);
      const known = KNOWN[name] ?? (name === 'eight_schools' ? referenceOf('eight_schools-eight_schools_noncentered') : undefined);
      const model = compile(source, { file: `${name}.tilde` });
      const rates: number[] = [];
      for (let r = 0; r < reps; r++) {
        const fit = await model.fit({ data, backend, steps: 1000, tolRelObj: 1e-12, seed: 1 + r });
        rates.push(fit.diagnostics.steps / fit.diagnostics.seconds);
      }
      const t0 = performance.now();
      const fit = await compile(source, { file: `${name}.tilde` }).fit({ data, backend });
      const wall = (performance.now() - t0) / 1000;
      const e = known ? maxError(fit.summary(), known) : undefined;
      rows.push([name, backend, fmt(median(rates), 0), fmt(wall, 2), String(fit.diagnostics.steps), e ? `${fmt(e.err)} (${e.at})` : '—']);
      console.error(`  ${rows.at(-1)!.join('  ')}`);
    }
  }
  console.log('\nContinuous models in models/ (default options: meanfield, 8 particles, lr 0.05, tolRelObj 0.01)\n');
  console.log(table(['model', 'backend', `steps/s (1k steps, ${reps === 1 ? '1 run' : `median of ${reps}`})`, 'wall to convergence (s)', 'steps', 'max err (known sd)'], rows));
}

/** Options per reference model: the defaults, as test/inference/reference.test.ts asserts them; mean-field with the same budget. */
const DEFAULTS: FitOptions = { steps: 3000, particles: 8, lr: 0.05, tolRelObj: 0.01 };
const REFERENCE: { name: string; options: FitOptions; slow?: boolean }[] = [
  { name: 'eight_schools-eight_schools_noncentered', options: DEFAULTS },
  // The funnel has no mode (random inits); the test asserts it with a longer, less noisy run.
  { name: 'eight_schools-eight_schools_centered', options: { steps: 4000, particles: 32, lr: 0.05, tolRelObj: 0.001 } },
  { name: 'mesquite-logmesquite', options: DEFAULTS },
  { name: 'nes2000-nes', options: DEFAULTS },
  { name: 'kidiq-kidscore_momiq', options: DEFAULTS },
  { name: 'earnings-logearn_height', options: DEFAULTS },
  { name: 'sblrc-blr', options: DEFAULTS },
  { name: 'arK-arK', options: { ...DEFAULTS, tolRelObj: 0.001 }, slow: true },
  { name: 'garch-garch11', options: { ...DEFAULTS, tolRelObj: 0.001 }, slow: true },
  { name: 'low_dim_gauss_mix-low_dim_gauss_mix', options: DEFAULTS },
  { name: 'hmm_example-hmm_example', options: { ...DEFAULTS, tolRelObj: 0.001 }, slow: true },
];

async function referenceTable(): Promise<void> {
  if (!existsSync(REF_DIR)) {
    console.log(`\n!! reference table skipped: ${REF_DIR} does not exist (clone shared/ beside the repository)\n`);
    return;
  }
  await selectBackend('wasm');
  const rows: string[][] = [];
  for (const { name, options, slow } of REFERENCE) {
    if (slow && !args.has('--slow')) {
      rows.push([name, 'not run (use --slow)', '', '', '']);
      continue;
    }
    const source = readFileSync(`${ROOT}/test/reference/${name}.tilde`, 'utf8');
    const data = readJson<Record<string, unknown>>(`${REF_DIR}/${name}/data.json`);
    const known = referenceOf(name)!;
    const cells: string[] = [];
    let seconds = '';
    let start = '';
    for (const guide of ['meanfield', 'fullrank'] as const) {
      try {
        // The worst error over the seeds; times and steps are the median over them.
        let worst = { err: -1, at: '' };
        const secs: number[] = [];
        const steps: number[] = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const fit = await compile(source, { file: `${name}.tilde` }).fit({ ...options, data, guide, init: initKind, backend: 'wasm', seed });
          const e = maxError(inReferenceLabels(name, fit.summary()), known);
          if (e.err > worst.err) worst = e;
          secs.push(fit.diagnostics.seconds);
          steps.push(fit.diagnostics.steps);
          start = fit.diagnostics.init?.used === 'laplace' ? 'Laplace' : `random (${fit.diagnostics.init?.reason ?? '?'})`;
        }
        cells.push(`${fmt(worst.err)} (${worst.at})`);
        seconds += `${guide === 'meanfield' ? 'mf' : 'fr'} ${fmt(median(secs), 1)} s/${median(steps)} `;
      } catch (err) {
        cells.push(`error: ${(err as Error).message.split('\n')[0]!.slice(0, 60)}`);
      }
    }
    rows.push([name, cells[0]!, cells[1]!, seconds.trim(), start]);
    console.error(`  ${rows.at(-1)!.join('  ')}`);
  }
  const over = seeds > 1 ? `, worst of seeds 1–${seeds}` : ', seed 1';
  console.log(`\nposteriordb translations (wasm, init ${initKind}${over}): max |mean − ref mean| / ref sd\n`);
  console.log(table(['posterior', 'mean-field', 'full-rank', 'fit time / steps', 'start'], rows));
}

if (!args.has('--reference-only')) await modelsTable();
if (!args.has('--models-only')) await referenceTable();
