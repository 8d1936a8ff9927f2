// Profile tilde's optimisation step (issue 7). Needs the build (dist/).
//   node bench/peers/profile.mjs kernels [cpu|wasm]   per-step kernel count, kernels by name,
//                                                     kernel time vs wall time (tf.profile)
//   node bench/peers/profile.mjs kernels cpu gmm enumerate   the same with an estimator forced
//   node bench/peers/profile.mjs rates                steady steps/s per model at particles 1/8/32/100,
//                                                     cpu and wasm alternated in one process
// Kernels per step = (kernels of a (1+K)-step fit − kernels of a 1-step fit) / K, so set-up,
// posterior draws and PSIS cancel out.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from '../../dist/index.js';
import { tf } from '../../dist/inference/backend.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [mode = 'kernels', backend = 'cpu', only, estimator] = process.argv.slice(2);
const MODELS = [
  // name, window (steps between progress events) for the rates mode
  ['normal_normal', 40], ['eight_schools', 30], ['logistic_regression', 15], ['gmm', 3], ['relax_toy', 40],
].filter(([m]) => !only || only.split(',').includes(m));
const load = (m) => ({
  model: compile(readFileSync(`${root}models/${m}.tilde`, 'utf8'), { file: `${m}.tilde` }),
  data: JSON.parse(readFileSync(`${root}models/${m}.json`, 'utf8')),
});
const fitOpts = (data, steps, particles, extra = {}) => ({ data, steps, particles, backend, tolRelObj: 0, draws: 20, seed: 1, ...extra });

if (mode === 'kernels') {
  const K = 5;
  const cases = MODELS.map(([m]) => [m, estimator ? { estimator } : {}]);
  if (!estimator && (!only || only.includes('relax_toy'))) cases.push(['relax_toy', { estimator: 'reinforce' }]);
  for (const [m, extra] of cases) {
    const { model, data } = load(m);
    await model.fit(fitOpts(data, 2, 8, extra)); // warm-up (backend init, kernel registration)
    const prof = async (steps) => {
      let wall = 0;
      const p = await tf.profile(async () => {
        const t0 = performance.now();
        await model.fit(fitOpts(data, steps, 8, { ...extra, evalEvery: 1000 }));
        wall = performance.now() - t0;
      });
      const byName = new Map();
      let kernelMs = 0;
      for (const k of p.kernels) {
        byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
        const t = await k.kernelTimeMs;
        kernelMs += typeof t === 'number' ? t : (t?.error ? 0 : 0);
      }
      return { n: p.kernels.length, newTensors: p.newTensors, byName, kernelMs, wall };
    };
    const base = await prof(1);
    const more = await prof(1 + K);
    const names = [...more.byName].map(([k, v]) => [k, (v - (base.byName.get(k) ?? 0)) / K]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    console.log(JSON.stringify({
      model: m + (extra.estimator ? ` (${extra.estimator})` : ''), backend, particles: 8,
      kernelsPerStep: (more.n - base.n) / K,
      kernelMsPerStep: +((more.kernelMs - base.kernelMs) / K).toFixed(3),
      wallMsPerStepProfiled: +((more.wall - base.wall) / K).toFixed(3),
      byName: Object.fromEntries(names.slice(0, 14)),
    }));
  }
} else {
  // cpu and wasm alternate within this one process (tf.setBackend per fit), REPS times each.
  const REPS = 3;
  for (const [m, win] of MODELS) {
    const { model, data } = load(m);
    for (const particles of [1, 8, 32, 100]) {
      const heavy = m === 'gmm' && particles >= 32;
      const w = m === 'gmm' ? (heavy ? 1 : 2) : win;
      const reps = heavy && particles === 100 ? 1 : REPS;
      const rates = { cpu: [], wasm: [] };
      for (let rep = 0; rep < reps; rep++) {
        for (const b of rep % 2 ? ['wasm', 'cpu'] : ['cpu', 'wasm']) {
          const windows = [];
          await model.fit({ ...fitOpts(data, 3 * w, particles, { evalEvery: w, onProgress: (p) => windows.push(p.stepsPerSecond) }), backend: b });
          const steady = windows.slice(1).sort((a, c) => a - c);
          rates[b].push(steady[Math.floor(steady.length / 2)]);
        }
      }
      const med = (xs) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
      const r = (xs) => `${med(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
      const ratios = rates.cpu.map((c, i) => rates.wasm[i] / c);
      console.log(JSON.stringify({ model: m, particles, cpu: r(rates.cpu), wasm: r(rates.wasm), wasmOverCpu: r(ratios), faster: med(ratios) > 1 ? 'wasm' : 'cpu' }));
    }
  }
}
