// estimator 'auto-variance' over a fit: each measurement of each site's candidates (gradient
// variance × compiled work per step) and the choice, at the start and every --every steps, for
// several seeds. Default model: models/scale_switch.tilde from a random start, where the choice
// moves from enumeration to REINFORCE as q(z) settles (bench/RESULTS-estimators.md §6).
//
// Run after the build:
//   node dist/bench/auto_variance.js [--model scale_switch] [--seeds 3] [--every 100] [--particles 8] [--init random]

import { existsSync, readFileSync } from 'node:fs';
import { compile, type FitOptions } from '../index.js';
import { ESTIMATOR_LABEL } from '../inference/plan.js';

const here = (f: string) => new URL(`../../models/${f}`, import.meta.url).pathname;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const name = arg('model', 'scale_switch');
  const seeds = Number(arg('seeds', '3'));
  const every = Number(arg('every', '100'));
  const particles = Number(arg('particles', '8'));
  const init = arg('init', 'random') as FitOptions['init'];
  const model = compile(readFileSync(here(`${name}.tilde`), 'utf8'), { file: `models/${name}.tilde` });
  const data = existsSync(here(`${name}.json`)) ? JSON.parse(readFileSync(here(`${name}.json`), 'utf8')) : {};
  console.log(`${name}: estimator auto-variance, remeasureEvery ${every}, ${particles} particles, init ${init}, compiled step\n`);
  console.log('| seed | step | site | variance × work per candidate | chosen |');
  console.log('|---:|---:|---|---|---|');
  for (let seed = 1; seed <= seeds; seed++) {
    const fit = await model.fit({ data, estimator: 'auto-variance', remeasureEvery: every, particles, seed, init });
    for (const c of fit.diagnostics.estimatorChoice ?? []) {
      const cells = c.measured.map((m) => `${ESTIMATOR_LABEL[m.estimator]} ${m.variance.toExponential(2)} × ${m.work}`).join(', ');
      console.log(`| ${seed} | ${c.step} | ${c.site} | ${cells} | ${ESTIMATOR_LABEL[c.chosen]}${c.kept ? ` (${c.kept})` : ''} |`);
    }
    const d = fit.diagnostics;
    console.log(`| ${seed} | end ${d.steps} | | ELBO ${d.elbo.toFixed(2)} (${d.stopped}) | ${fit.plan.entries.filter((e) => d.estimatorChoice?.some((c) => c.site === e.site)).map((e) => `${e.site}: ${ESTIMATOR_LABEL[e.estimator]}`).join(', ')} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
