// The ceiling for a compiled step: eight schools' mean-field ADVI step written by hand in float64
// JavaScript (log joint and gradient derived on paper, Adam, 1 particle, noise from the same seeded
// stream tilde uses), against tilde's compiled step on the same model in the same process.
// Run after the build: node dist/bench/handwritten.js [--steps N] [--reps R]
//
// Columns: steps/s of each, median of R runs of N steps, and tilde's share of the hand-written rate.
// tilde's figure is its fit loop's steady rate (progress windows after the first) with convergence
// off, so it includes the loop's bookkeeping; the hand-written one is the bare step.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from '../inference/model.js';
import { Rng } from '../inference/rng.js';

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../..' : '..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, d: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const STEPS = flag('--steps', 200_000);
const REPS = flag('--reps', 5);

const data = JSON.parse(readFileSync(`${ROOT}/models/eight_schools.json`, 'utf8')) as { J: number; y: number[]; sigma: number[] };
const J = data.J;
const y = Float64Array.from(data.y);
const prec = Float64Array.from(data.sigma, (s) => 1 / (s * s));

/** steps/s of the hand-written step: u = (mu, log tau, theta_raw[J]), ELBO = log p(T(u)) + log|J| + Σ ω. */
function handwritten(steps: number, seed: number): number {
  const D = J + 2;
  const m = new Float64Array(D);
  const w = new Float64Array(D).fill(-1);
  const g = new Float64Array(2 * D);
  const am = new Float64Array(2 * D);
  const av = new Float64Array(2 * D);
  const eps = new Float64Array(D);
  const u = new Float64Array(D);
  const du = new Float64Array(D);
  const rng = new Rng(seed);
  const lr = 0.05;
  let sink = 0;
  const t0 = performance.now();
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < D; i++) {
      eps[i] = rng.normal();
      u[i] = m[i]! + Math.exp(w[i]!) * eps[i]!;
    }
    const mu = u[0]!;
    const tau = Math.exp(u[1]!);
    // log Normal(mu | 0, 5) + log HalfCauchy(tau | 5) + log tau (the Jacobian) + Σ log Normal(r | 0, 1) + Σ log Normal(y | mu + tau r, σ)
    let lp = -0.5 * (mu / 5) ** 2 - Math.log1p((tau / 5) ** 2) + u[1]!;
    let dmu = -mu / 25;
    let dtau = (-2 * tau) / 25 / (1 + (tau / 5) ** 2);
    for (let j = 0; j < J; j++) {
      const r = u[2 + j]!;
      const resid = y[j]! - mu - tau * r;
      lp += -0.5 * r * r - 0.5 * resid * resid * prec[j]!;
      dmu += resid * prec[j]!;
      dtau += resid * prec[j]! * r;
      du[2 + j] = -r + resid * prec[j]! * tau;
    }
    du[0] = dmu;
    du[1] = dtau * tau + 1;
    let ent = 0;
    for (let i = 0; i < D; i++) {
      ent += w[i]!;
      // Minimise −ELBO: gradients of its negative.
      g[i] = -du[i]!;
      g[D + i] = -(du[i]! * Math.exp(w[i]!) * eps[i]! + 1);
    }
    sink += lp + ent;
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    for (let i = 0; i < 2 * D; i++) {
      am[i] = 0.9 * am[i]! + 0.1 * g[i]!;
      av[i] = 0.999 * av[i]! + 0.001 * g[i]! * g[i]!;
      const step = (lr * (am[i]! / c1)) / (Math.sqrt(av[i]! / c2) + 1e-7);
      if (i < D) m[i]! -= step;
      else w[i - D]! -= step;
    }
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  if (!Number.isFinite(sink)) throw new Error('the hand-written step diverged');
  return rate;
}

async function tilde(steps: number, seed: number): Promise<{ rate: number; backend: string }> {
  const model = compile(readFileSync(`${ROOT}/models/eight_schools.tilde`, 'utf8'), { file: 'eight_schools.tilde' });
  const windows: number[] = [];
  const fit = await model.fit({ data, particles: 1, steps, tolRelObj: 0, evalEvery: Math.max(50, Math.floor(steps / 40)), seed, draws: 20, init: 'random', onProgress: (p) => windows.push(p.stepsPerSecond) });
  const steady = windows.slice(1).sort((a, b) => a - b);
  return { rate: steady[Math.floor(steady.length / 2)]!, backend: fit.diagnostics.backend };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const hand: number[] = [];
const ours: number[] = [];
let backend = '';
handwritten(20_000, 0); // warm-up: let V8 optimise both before timing
await tilde(20_000, 0);
for (let r = 1; r <= REPS; r++) {
  hand.push(handwritten(STEPS, r));
  const t = await tilde(STEPS, r);
  ours.push(t.rate);
  backend = t.backend;
}
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`eight schools, mean-field ADVI, 1 particle, ${STEPS.toLocaleString('en-US')} steps, median of ${REPS} (min–max)\n`);
console.log('| step | steps/s | share of hand-written |');
console.log('|---|---|---|');
console.log(`| hand-written float64 JS | ${fmt(median(hand))} (${fmt(Math.min(...hand))}–${fmt(Math.max(...hand))}) | 100 % |`);
console.log(`| tilde fit loop, backend ${backend} | ${fmt(median(ours))} (${fmt(Math.min(...ours))}–${fmt(Math.max(...ours))}) | ${((100 * median(ours)) / median(hand)).toFixed(0)} % |`);
