// Cost of the loop-using posteriordb translations (issue 3: vectorised independent loops).
// Run after the build: node dist/bench/loops.js [--backend cpu|wasm] [--reps N] [--no-fit] [--only NAME]
//
// Table 1: one evaluation of the joint over tfjs, what the tracer runs once per fit (8 particles,
// full-rank guide; its gradient is the compiled step's, measured in table 2), the
// vectorised path (with hoisting in the loops it unrolls) against the plain unrolled one
// (RunOptions.loops = 'unroll') in the same process,
// alternating, median of 2·reps+1 evaluations each: the ratio is robust to the machine's load.
// Table 2: seconds per optimisation step of a fit for a fixed number of steps with convergence off
// (tolRelObj 1e-12), full-rank guide, 8 particles: diagnostics.seconds / steps, median of reps.
// The column "loops" is the loop analysis of each model (which loops run vectorised, which unrolled).
// Timings are wall clock on a shared machine: quote them with `uptime`.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBackend, tf, type BackendName } from '../inference/backend.js';
import { evaluateJoint } from '../inference/joint.js';
import { analyseLoops, formatLoops } from '../inference/loops.js';
import { compile, type Model } from '../inference/model.js';
import { prepareStart } from '../inference/prepare.js';
import { Rng } from '../inference/rng.js';

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../..' : '..', import.meta.url));
const REF_DIR = `${ROOT}/../shared/reference/posteriordb`;
const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const backend = flag('--backend', 'cpu') as BackendName;
const reps = Number(flag('--reps', '3'));

/** Steps per timed fit: enough to amortise start-up, few enough for the slow (unrolled) cases. */
const MODELS: { name: string; steps: number }[] = [
  { name: 'arK-arK', steps: 20 },
  { name: 'garch-garch11', steps: 20 },
  { name: 'low_dim_gauss_mix-low_dim_gauss_mix', steps: 10 },
  { name: 'hmm_example-hmm_example', steps: 5 },
].filter((m) => !argv.includes('--only') || m.name.startsWith(flag('--only', '')));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(REF_DIR)) {
  console.log(`!! ${REF_DIR} does not exist (clone shared/ beside the repository)`);
  process.exit(0);
}
await selectBackend(backend);

/** Milliseconds of one joint evaluation over tfjs, per loop mode (alternating runs). */
function evalTimes(model: Model, data: Record<string, unknown>): Record<'auto' | 'unroll', number> {
  const start = prepareStart(model.program, model.bind(data), { guide: 'fullrank', seed: 3 });
  const { setup: s, layout } = start;
  const flat = tf.tensor1d(start.random);
  const once = (loops: 'auto' | 'unroll') => {
    const run = { ...s, modelRun: { ...s.modelRun, loops }, guideRun: { ...s.guideRun, loops } };
    const t0 = performance.now();
    tf.tidy(() => {
      const j = evaluateJoint({ setup: run, layout, S: 8, rng: new Rng(1), mode: 'inference' }, flat);
      tf.sum(tf.add(j.logp, j.logdet)).dataSync();
    });
    return performance.now() - t0;
  };
  once('auto');
  once('unroll');
  const times = { auto: [] as number[], unroll: [] as number[] };
  for (let r = 0; r < 2 * reps + 1; r++) {
    times.auto.push(once('auto'));
    times.unroll.push(once('unroll'));
  }
  flat.dispose();
  start.dispose();
  return { auto: median(times.auto), unroll: median(times.unroll) };
}

const evalRows: string[] = [];
for (const { name } of MODELS) {
  const source = readFileSync(`${ROOT}/test/reference/${name}.tilde`, 'utf8');
  const data = JSON.parse(readFileSync(`${REF_DIR}/${name}/data.json`, 'utf8')) as Record<string, unknown>;
  const t = evalTimes(compile(source, { file: `${name}.tilde` }), data);
  evalRows.push(`| ${name} | ${t.unroll.toFixed(1)} | ${t.auto.toFixed(1)} | ${(t.unroll / t.auto).toFixed(1)}× |`);
  console.error(evalRows.at(-1));
}
console.log(`\njoint over tfjs, one evaluation (ms), backend ${backend}, full-rank, 8 particles, median of ${2 * reps + 1}\n`);
console.log('| model | unrolled | vectorised | speed-up |\n|---|---|---|---|');
for (const r of evalRows) console.log(r);
if (argv.includes('--no-fit')) process.exit(0);

const rows: string[] = [];
for (const { name, steps } of MODELS) {
  const source = readFileSync(`${ROOT}/test/reference/${name}.tilde`, 'utf8');
  const data = JSON.parse(readFileSync(`${REF_DIR}/${name}/data.json`, 'utf8')) as Record<string, unknown>;
  const model = compile(source, { file: `${name}.tilde` });
  const perStep: number[] = [];
  for (let r = 0; r < reps; r++) {
    const fit = await model.fit({ data, backend, steps, tolRelObj: 1e-12, evalEvery: steps, guide: 'fullrank', seed: 1 + r, draws: 10 });
    perStep.push(fit.diagnostics.seconds / fit.diagnostics.steps);
  }
  const loops = formatLoops(analyseLoops(model.program)).replace(/\n/g, '; ');
  rows.push(`| ${name} | ${steps} | ${median(perStep).toFixed(4)} | ${perStep.map((x) => x.toFixed(3)).join(', ')} | ${loops} |`);
  console.error(rows.at(-1));
}
console.log(`\nseconds per step, backend ${backend}, full-rank guide, 8 particles, median of ${reps}\n`);
console.log('| model | steps | s/step | runs | loops |\n|---|---|---|---|---|');
for (const r of rows) console.log(r);
