// Seconds per optimisation step of the loop-using posteriordb translations (issue 3: vectorised
// independent loops). Run after the build: node dist/bench/loops.js [--backend cpu|wasm] [--reps N]
//
// Each model is fitted for a fixed number of steps with convergence off (tolRelObj 1e-12), full-rank
// guide, 8 particles; the figure is diagnostics.seconds / steps, median of the repetitions. The
// column "loops" is the loop analysis of each model (which loops run vectorised, which unrolled).
// Timings are wall clock on a shared machine: quote them with `uptime`.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBackend, type BackendName } from '../inference/backend.js';
import { analyseLoops, formatLoops } from '../inference/loops.js';
import { compile } from '../inference/model.js';

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
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(REF_DIR)) {
  console.log(`!! ${REF_DIR} does not exist (clone shared/ beside the repository)`);
  process.exit(0);
}
await selectBackend(backend);
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
