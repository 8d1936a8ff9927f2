// models/gmm.tilde (two-component Gaussian mixture, N = 200, explicit assignments z[n])
// fitted with the plan's estimator for z (RELAX: z reaches the likelihood only by
// indexing locs) and with REINFORCE forced by option ({ z: 'reinforce' }, Rao-Blackwellised
// per data point, leave-one-out baseline), same seed, steps and particles. Prints the
// final ELBO (mean of the last 100 per-step estimates), the component locations after
// relabelling (sorted) against the true −2/2 and the reference posterior means, and wall time.
//
// Run after the build: node dist/bench/gmm.js [--steps N] [--particles S] [--seed K] [--only plan|reinforce]

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { compile, type FitOptions } from '../index.js';

const here = (f: string) => new URL(`../../models/${f}`, import.meta.url).pathname;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Reference posterior means in the mode locs[0] < locs[1] (models/gmm.tilde header). */
const REFERENCE = { locs: [-1.898, 1.986], scale: 1.071 };

async function main(): Promise<void> {
  const steps = Number(arg('steps', '2000'));
  const particles = Number(arg('particles', '8'));
  const seed = Number(arg('seed', '1'));
  const model = compile(readFileSync(here('gmm.tilde'), 'utf8'), { file: 'gmm.tilde' });
  const data = JSON.parse(readFileSync(here('gmm.json'), 'utf8')) as Record<string, unknown>;
  console.log(`gmm: N = 200, K = 2, ${steps} steps, ${particles} particles, seed ${seed}, Adam lr 0.05 (fit default), all steps run (tolRelObj 0), backend cpu; ${cpus()[0]?.model ?? '?'}`);
  console.log(`plan: ${model.plan.entries.map((e) => `${e.site}: ${e.estimator} — ${e.reason}`).join('; ')}`);
  console.log('| estimator for z | final ELBO | locs (sorted) | scale | wall s |');
  console.log('|---|---:|---|---:|---:|');
  const variants: { label: string; estimator?: FitOptions['estimator'] }[] = [
    { label: 'plan (RELAX)' },
    { label: 'REINFORCE (forced)', estimator: { z: 'reinforce' } },
  ];
  const only = arg('only', '');
  for (const v of variants.filter((x) => !only || x.label.toLowerCase().startsWith(only))) {
    const t0 = performance.now();
    const fit = await model.fit({ data, steps, particles, seed, tolRelObj: 0, backend: 'cpu', estimator: v.estimator });
    const wall = (performance.now() - t0) / 1000;
    const s = fit.summary();
    const locs = [s['locs[0]'], s['locs[1]']].map((r) => r!).sort((a, b) => a.mean - b.mean);
    const sc = s['scale']!;
    const used = fit.plan.entries.find((e) => e.site === 'z')?.estimator;
    const loc = locs.map((r, k) => `${r.mean.toFixed(3)} ± ${r.sd.toFixed(3)} (true ${k ? 2 : -2}, ref ${REFERENCE.locs[k]})`).join('; ');
    console.log(`| ${v.label} [${used}] | ${fit.diagnostics.elbo.toFixed(2)} | ${loc} | ${sc.mean.toFixed(3)} (ref ${REFERENCE.scale}) | ${wall.toFixed(1)} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
