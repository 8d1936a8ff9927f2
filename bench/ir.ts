// The compiled step of each bundled model: how many IR nodes reverse mode leaves, how many the
// simplifying pass keeps, how many run per step, and the bare step's rate (noise, loss, gradient,
// optimiser update; no fit loop). Run after the build:
//   node dist/bench/ir.js [--models a,b] [--data FILE] [--backend cpu|wasm] [--particles S] [--steps N] [--reps R]
// Columns: nodes after reverse mode → after simplify, nodes computed per step, the matrix products'
// multiply–adds per step (what decides 'auto' between this step and tfjs), steps/s (median of R runs
// of N steps, min–max).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../inference/backend.js';
import { compileFitStep } from '../inference/compile/compile-fit.js';
import { compile } from '../inference/model.js';
import { prepare } from '../inference/prepare.js';

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../..' : '..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, d: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : d;
};
const MODELS = flag('models', 'normal_normal,eight_schools,logistic_regression,relax_toy,gmm').split(',');
const S = Number(flag('particles', '1'));
const STEPS = Number(flag('steps', '2000'));
const REPS = Number(flag('reps', '5'));
/** Another data file for the model(s), e.g. 24 MNIST digits for models/sbn.tilde (`tilde data mnist --n 24`). */
const DATA = argv.includes('--data') ? flag('data', '') : undefined;

// cpu: the generated loops alone; wasm: products from TFJS_MATMUL_FROM multiply–adds go to XNNPACK.
await selectBackend(flag('backend', 'cpu') as 'cpu' | 'wasm');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

console.log(`compiled steps, ${S} particle(s), ${STEPS.toLocaleString('en-US')} steps, median of ${REPS} (min–max)\n`);
console.log('| model | estimators | IR nodes (reverse mode → simplified) | computed per step | matrix-product multiply–adds per step | steps/s |');
console.log('|---|---|---|---|---|---|');
for (const name of MODELS) {
  const m = compile(readFileSync(`${ROOT}/models/${name}.tilde`, 'utf8'), { file: `${name}.tilde` });
  let data: unknown = {};
  try {
    data = JSON.parse(readFileSync(DATA ?? `${ROOT}/models/${name}.json`, 'utf8'));
  } catch {
    // a model with all data defaulted
  }
  const plan = m.plan;
  const p = prepare(m.program, m.bind(data as Record<string, unknown>), { plan, particles: S });
  const init = p.random;
  const c = compileFitStep(p.est, { setup: p.setup, layout: p.layout, S, rng: p.rng.split('steps'), mode: p.mode }, init, 'adam', 0.01, p.rng.split('steps-js'));
  p.dispose();
  const kinds = [...new Set(plan.entries.map((e) => e.estimator))].join(', ') || 'reparam';
  if (!c.ok || !c.step) {
    console.log(`| ${name} | ${kinds} | not compiled to JavaScript: ${c.ok ? c.jsReason : c.reason} | | | |`);
    continue;
  }
  const step = c.step;
  const rates: number[] = [];
  for (let r = 0; r <= REPS; r++) {
    step.params.set(init);
    const t0 = performance.now();
    for (let k = 0; k < STEPS; k++) step.step();
    const rate = STEPS / ((performance.now() - t0) / 1000);
    if (r > 0) rates.push(rate); // the first run warms V8 up
  }
  const { before, after, live } = step.nodes;
  console.log(`| ${name} | ${kinds} | ${fmt(before)} → ${fmt(after)} | ${fmt(live)} | ${fmt(c.products)} | ${fmt(median(rates))} (${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}) |`);
}
