// The RELAX toy problem (Grathwohl et al. 2018, §6.1; shared/RELAX.md §5) on
// models/relax_toy.tilde: minimise E[(t − b)²], b ~ Bernoulli(σ(phi)), t = 0.499,
// phi₀ = 0, one sample per step, Adam lr 0.01 for phi and for the surrogate φ.
//
// For REINFORCE without baseline, REINFORCE with the moving-average baseline, REBAR
// and RELAX it prints θ = σ(phi) at 1k/2k/5k/10k steps and the natural-log variance of
// the single-sample gradient estimate at a few checkpoints, over several seeds.
//
// Run after the build:
//   node dist/bench/relax_toy.js [--steps N] [--seeds K] [--first-seed S] [--estimators a,b] [--var-draws M]
//        [--checkpoints 500,1000,...] [--json FILE]   (JSON rewritten after every run)
//   node dist/bench/relax_toy.js --merge a.json,b.json   (tables from several parallel runs)
//   node dist/bench/relax_toy.js --verify [--steps N]     (this loop reproduces model.fit)
//
// How it is run. The fit is the one `model.fit` runs on backend 'cpu' (same setup, initial
// values, seed streams, the compiled JavaScript step and its Adam), driven here step by step
// so phi can be read mid-fit: the public fit API reports only −cost per step, not phi.
// `--verify` checks that this loop reproduces model.fit's final phi bit for bit.
//
// The variance at a checkpoint is measured with the fit's own estimator state (the
// trained surrogate φ for RELAX/REBAR, the current moving average for 'ema') at the
// current phi: `--var-draws` single-particle estimates of the compiled step's gradient
// (fresh noise, no update, the state not advanced). They draw their noise from the step's
// own stream, so after the first checkpoint the training noise is not model.fit's.

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { tf, useBackend } from '../inference/backend.js';
import { compile, estimatorOptions, planFor, type FitOptions } from '../inference/model.js';
import { prepare } from '../inference/prepare.js';
import { compileFitStep } from '../inference/compile/compile-fit.js';

export const ESTIMATORS = {
  'reinforce-none': { estimator: 'reinforce', baseline: 'none' },
  'reinforce-ema': { estimator: 'reinforce', baseline: 'ema' },
  rebar: { estimator: 'rebar', baseline: 'none' },
  relax: { estimator: 'relax', baseline: 'none' },
} as const satisfies Record<string, { estimator: FitOptions['estimator']; baseline: FitOptions['baseline'] }>;
export type ToyEstimator = keyof typeof ESTIMATORS;

const T = 0.499;
const LR = 0.01;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export interface ToyRun {
  estimator: ToyEstimator;
  seed: number;
  /** phi every 100 steps (index k ↔ step 100·k; index 0 is the start). */
  phi: number[];
  /** ln Var of the single-sample gradient at the checkpoints. */
  logVar: Record<number, number>;
  msPerStep: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

function modelPath(): string {
  return new URL('../../models/relax_toy.tilde', import.meta.url).pathname;
}

export async function runToy(name: ToyEstimator, seed: number, steps: number, checkpoints: number[], varDraws: number): Promise<ToyRun> {
  const source = readFileSync(modelPath(), 'utf8');
  const model = compile(source, { file: 'relax_toy.tilde' });
  const opts = ESTIMATORS[name];
  const plan = planFor(model.program, { estimator: opts.estimator });
  const prepared = prepare(model.program, model.bind({ t: T }), { seed, plan, particles: 1, estimators: estimatorOptions({ estimator: opts.estimator, baseline: opts.baseline, surrogateLr: LR }) });
  const { setup: s, layout, rng, random: init, est } = prepared;
  const tensorsBefore = tf.memory().numTensors;
  const jo = { setup: s, layout, S: 1, rng: rng.split('steps'), mode: 'optimisation' } as const;
  const phi: number[] = [init[0]!];
  const logVar: Record<number, number> = {};
  let trainMs = 0;
  try {
    const c = compileFitStep(est, jo, init, 'adam', LR, rng.split('steps-js'));
    if (!c.ok || !c.step) throw new Error(`the toy's step does not compile: ${c.ok ? c.jsReason : c.reason}`);
    const js = c.step;
    const measure = () => {
      const gs: number[] = [];
      for (let m = 0; m < varDraws; m++) {
        js.draw();
        js.evaluate();
        gs.push(js.grad[0]!);
      }
      // Two passes: at θ ≈ 0 almost every estimate is the same tiny number. A zero variance
      // (every estimate identical) gives −∞, shown as such.
      const mean = gs.reduce((a, b) => a + b, 0) / gs.length;
      return Math.log(gs.reduce((a, g) => a + (g - mean) ** 2, 0) / (gs.length - 1));
    };
    for (let step = 1; step <= steps; step++) {
      const t0 = performance.now();
      js.step();
      trainMs += performance.now() - t0;
      if (step % 100 === 0) phi.push(js.params[0]!);
      if (checkpoints.includes(step)) logVar[step] = measure();
    }
  } finally {
    prepared.dispose();
  }
  return { estimator: name, seed, phi, logVar, msPerStep: trainMs / steps, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

/** model.fit on the same problem: its final phi must equal this loop's (no measurements). */
async function verify(steps: number): Promise<void> {
  const model = compile(readFileSync(modelPath(), 'utf8'), { file: 'relax_toy.tilde' });
  for (const name of Object.keys(ESTIMATORS) as ToyEstimator[]) {
    const o = ESTIMATORS[name];
    const fit = await model.fit({ data: { t: T }, steps, particles: 1, lr: LR, seed: 3, estimator: o.estimator, baseline: o.baseline, surrogateLr: LR, backend: 'cpu' });
    const mine = await runToy(name, 3, steps, [], 100);
    const a = fit.parameters[0]!;
    const b = mine.phi[mine.phi.length - 1]!;
    console.log(`verify ${name}: model.fit phi = ${a}, bench loop phi = ${b} ${a === b ? 'identical' : 'DIFFERENT'}`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const fmt = (x: number, d = 3) => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(d) : x.toExponential(1));
const spread = (xs: number[], d = 3) => `${fmt(median(xs), d)} [${fmt(Math.min(...xs), d)}, ${fmt(Math.max(...xs), d)}]`;

export function report(runs: ToyRun[], steps: number, checkpoints: number[]): string {
  const lines: string[] = [];
  const thetaAt = [1000, 2000, 5000, 10000].filter((k) => k <= steps);
  if (!thetaAt.includes(steps)) thetaAt.push(steps);
  for (const name of Object.keys(ESTIMATORS) as ToyEstimator[]) {
    const rs = runs.filter((r) => r.estimator === name);
    if (!rs.length) continue;
    lines.push(`${name} (${rs.length} seeds: ${rs.map((r) => r.seed).join(', ')}; ${fmt(median(rs.map((r) => r.msPerStep)), 2)} ms/step median)`);
    lines.push(`| step | θ median [min, max] | ln Var(ĝ) median [min, max] |`);
    lines.push(`|---:|---|---|`);
    const rows = [...new Set([...thetaAt, ...checkpoints])].filter((k) => k <= steps).sort((a, b) => a - b);
    for (const k of rows) {
      const th = thetaAt.includes(k) && k % 100 === 0 ? spread(rs.map((r) => sigmoid(r.phi[k / 100]!))) : '';
      // JSON turns −∞ (all estimates identical) into null.
      const lvs = rs.map((r) => r.logVar[k]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      const inf = rs.filter((r) => k in r.logVar).length - lvs.length;
      const lv = checkpoints.includes(k) && (lvs.length || inf) ? `${lvs.length ? spread(lvs, 2) : ''}${inf ? ` (${inf} seed${inf > 1 ? 's' : ''}: variance 0 to float rounding, ln = −∞)` : ''}` : '';
      lines.push(`| ${k} | ${th} | ${lv} |`);
    }
    const last = rs.map((r) => sigmoid(r.phi[r.phi.length - 1]!));
    lines.push(`θ ≤ 0.1 at step ${steps}: ${last.filter((x) => x <= 0.1).length}/${rs.length} seeds`);
    const tb = rs.map((r) => r.tensorsAfter - r.tensorsBefore);
    lines.push(`live tensors after each run minus before: ${[...new Set(tb)].join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  await useBackend('cpu');
  if (process.argv.includes('--verify')) return verify(Number(arg('steps', '300')));
  const merge = arg('merge', '');
  if (merge) {
    // Tables from the JSON files of several (parallel) runs: --merge a.json,b.json
    const parts = merge.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as { steps: number; checkpoints: number[]; runs: ToyRun[] });
    console.log(report(parts.flatMap((p) => p.runs), parts[0]!.steps, parts[0]!.checkpoints));
    return;
  }
  const steps = Number(arg('steps', '10000'));
  const seeds = Number(arg('seeds', '10'));
  const firstSeed = Number(arg('first-seed', '1'));
  const varDraws = Number(arg('var-draws', '1000'));
  const names = arg('estimators', Object.keys(ESTIMATORS).join(',')).split(',') as ToyEstimator[];
  for (const n of names) if (!(n in ESTIMATORS)) throw new RangeError(`unknown estimator '${n}' (known: ${Object.keys(ESTIMATORS).join(', ')})`);
  const checkpoints = arg('checkpoints', '500,1000,2000,5000,10000').split(',').map(Number).filter((k) => k <= steps);
  console.log(`relax_toy: t = ${T}, phi0 = 0, S = 1, Adam lr ${LR} (phi and surrogate), ${steps} steps, seeds ${firstSeed}..${firstSeed + seeds - 1}`);
  console.log(`variance: ${varDraws} fresh single-sample estimates at steps ${checkpoints.join(', ')}; backend cpu; ${cpus()[0]?.model ?? '?'}`);
  const out = arg('json', '');
  const runs: ToyRun[] = [];
  const t0 = performance.now();
  for (const name of names) {
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const r = await runToy(name, seed, steps, checkpoints, varDraws);
      runs.push(r);
      // Written after every run, so a partial benchmark keeps what it measured.
      if (out) writeFileSync(out, JSON.stringify({ steps, checkpoints, varDraws, runs }, null, 1));
      const th = sigmoid(r.phi[r.phi.length - 1]!);
      console.error(`${name} seed ${seed}: θ_final = ${th.toFixed(4)}, ${r.msPerStep.toFixed(2)} ms/step, ln Var ${JSON.stringify(Object.fromEntries(Object.entries(r.logVar).map(([k, v]) => [k, +v.toFixed(2)])))}`);
    }
  }
  console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  console.log(report(runs, steps, checkpoints));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
