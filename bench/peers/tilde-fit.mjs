// One tilde fit in its own process, for run.mjs. Argument: a JSON object
// { model, steps, particles, lr, seed, backend, tolRelObj } (omitted keys: tilde's defaults).
// Prints one line `RESULT {...}` with the in-process fit time, steps taken and posterior means.
// Needs the build (npm run build → dist/). Loads tilde the way the `tilde` command does:
// from the bundle in dist/cli/ when it exists, so start-up is what a user waits for.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleUsable, loadBatch } from '../../bin/load-bundle.js';

// As `tilde fit` runs: the batch bundle with its code cache (bin/load-bundle.js).
const { compile } = (bundleUsable() && loadBatch()) || (await import('../../dist/index.js'));

const root = fileURLToPath(new URL('../../', import.meta.url));
const cfg = JSON.parse(process.argv[2] ?? '{}');
const source = readFileSync(`${root}models/${cfg.model}.tilde`, 'utf8');
const data = JSON.parse(readFileSync(`${root}models/${cfg.model}.json`, 'utf8'));
const model = compile(source, { file: `${cfg.model}.tilde` });
const opts = { data };
for (const k of ['steps', 'particles', 'lr', 'seed', 'backend', 'tolRelObj', 'estimator', 'evalEvery']) if (cfg[k] !== undefined) opts[k] = cfg[k];
if (cfg.draws !== undefined) opts.draws = cfg.draws;
// Steady rate: steps/s of each progress window after the first (which holds warm-up), median.
const windows = [];
opts.onProgress = (p) => windows.push(p.stepsPerSecond);
const t0 = performance.now();
const fit = await model.fit(opts);
const fitMs = performance.now() - t0;
const mean = {};
for (const [k, row] of Object.entries(fit.summary())) if (!/^z\[/.test(k)) mean[k] = row.mean;
const d = fit.diagnostics;
const steady = windows.slice(1).sort((a, b) => a - b);
const rate = steady.length ? steady[Math.floor(steady.length / 2)] : d.steps / d.seconds;
console.log('RESULT ' + JSON.stringify({ fitMs, steps: d.steps, seconds: d.seconds, steadyMsPerStep: 1000 / rate, backend: d.backend, mean }));
