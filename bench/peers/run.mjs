// npm run bench:peers — tilde against WebPPL 0.9.15 on the same models, data, priors and
// mean-field guides, each run in its own process, the pair alternated (tilde first on odd
// repetitions, WebPPL first on even ones). See RESULTS.md for what each column means.
//   node bench/peers/run.mjs [--reps N] [--models a,b] [--gmm-reps N] [--gmm-cap N] [--out FILE] [--table FILE]
// Needs the build (npx tsc -p tsconfig.json).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const REPS = Number(arg('reps', 3));
const GMM_REPS = Number(arg('gmm-reps', 1));
const OUT = arg('out', join(tmpdir(), 'bench-peers.json'));

// Reference posterior means and sds (model header comments; eight schools: posteriordb
// Stan NUTS reference). Error = max over the listed quantities of |mean − ref mean| / ref sd;
// for the RELAX toy the "error" is θ = σ(phi) (expected cost 0.249001 + 0.002 θ).
const REF = {
  normal_normal: { tol: 0.1, ref: { mu: [2.93332, 0.445435] } },
  eight_schools: {
    tol: 0.3,
    ref: {
      mu: [4.4105, 3.3093], tau: [3.6021, 3.1985],
      'theta[0]': [6.1505, 5.6159], 'theta[1]': [4.9396, 4.6456], 'theta[2]': [3.9059, 5.2807], 'theta[3]': [4.7960, 4.7709],
      'theta[4]': [3.6144, 4.6147], 'theta[5]': [4.0511, 4.7962], 'theta[6]': [6.3172, 5.0029], 'theta[7]': [4.8840, 5.3177],
    },
  },
  logistic_regression: {
    tol: 0.1,
    ref: {
      alpha: [-0.614, 0.140], 'beta[0]': [1.022, 0.157], 'beta[1]': [-2.298, 0.224], 'beta[2]': [0.518, 0.139],
      'beta[3]': [0.170, 0.137], 'beta[4]': [1.553, 0.181],
    },
  },
  gmm: { tol: 0.5, ref: { 'locs[0]': [-1.898, 0.121], 'locs[1]': [1.986, 0.122], scale: [1.071, 0.064] } },
  relax_toy: { tol: 0.25, ref: { theta: [0, 1] } },
};

// Per row: the accuracy run (both systems, same particles and lr; tilde stops by its own
// convergence rule unless told otherwise, WebPPL stops at the first multiple of 25 steps whose
// error is within tol — an oracle stop in WebPPL's favour), and the extra rate-only run.
// A row fits models/<model>.tilde (default: the row's name) with tilde, options `tilde`, and
// <wppl>.wppl (default: the model's name) with WebPPL.
const ROWS = {
  // The mixture with its assignments summed out: tilde by `--estimator marginalize`, WebPPL by a
  // hand-written factor(log Σ_k …) — what a user of either writes for a mixture.
  gmm_summed: { model: 'gmm', wppl: 'gmm_summed', tilde: { estimator: 'marginalize' } },
};
const rowModel = (row) => ROWS[row]?.model ?? row;
const rowWppl = (row) => ROWS[row]?.wppl ?? rowModel(row);
// Rate runs measure each system's steady steps/s. tilde's compiled step runs 10⁴–10⁶ steps/s, so a
// run as long as WebPPL's would last a few milliseconds, mostly V8 compiling the generated code:
// tilde's rate runs take `tildeSteps` steps in windows of `tildeWarm` (each system then runs for
// roughly 0.2–1 s), and the first window, the warm-up, is left out as WebPPL's first `warm` steps are.
const PLAN = {
  normal_normal: { acc: { particles: 8, lr: 0.05, cap: 3000 }, rate: { particles: 1, steps: 4000, warm: 500, tildeSteps: 200_000, tildeWarm: 10_000 } },
  eight_schools: { acc: { particles: 8, lr: 0.05, cap: 3000 }, rate: { particles: 1, steps: 3000, warm: 500, tildeSteps: 100_000, tildeWarm: 5_000 } },
  logistic_regression: { acc: { particles: 8, lr: 0.05, cap: 600 }, rate: { particles: 1, steps: 400, warm: 100, tildeSteps: 20_000, tildeWarm: 1_000 } },
  // Explicit assignments under each system's automatic choice (tilde: RELAX; WebPPL: REINFORCE).
  gmm: { acc: { particles: 8, lr: 0.05, cap: 2000, tildeSteps: 2000 }, rate: { particles: 1, steps: 40, warm: 10, tildeSteps: 1_000, tildeWarm: 100 } },
  gmm_summed: { acc: { particles: 8, lr: 0.05, cap: 2000 }, rate: { particles: 1, steps: 150, warm: 50, tildeSteps: 5_000, tildeWarm: 500 } },
  // The toy's tilde fit runs its whole cap (its convergence rule cannot see θ): its wall time is an
  // upper bound on its time to θ ≤ 0.25. 2,500 steps: RELAX at lr 0.05 is at θ ≈ 0.25 by 2,000.
  relax_toy: { acc: { particles: 1, lr: 0.05, cap: 2500, tildeSteps: 2500, tildeTol: 0 }, rate: { particles: 1, steps: 20_000, warm: 2_000, tildeSteps: 100_000, tildeWarm: 5_000 } },
};
// --gmm-cap N: longer GMM runs (both systems capped at N steps; tilde keeps its convergence rule).
if (arg('gmm-cap')) Object.assign(PLAN.gmm.acc, { cap: Number(arg('gmm-cap')), tildeSteps: Number(arg('gmm-cap')) });
const MODELS = (arg('models') ?? Object.keys(PLAN).join(',')).split(',');
for (const m of MODELS) if (!PLAN[m]) throw new Error(`unknown row '${m}' (rows: ${Object.keys(PLAN).join(', ')})`);

function error(model, mean) {
  const m = { ...mean };
  if (model === 'gmm') {
    const [a, b] = [m['locs[0]'], m['locs[1]']];
    m['locs[0]'] = Math.min(a, b);
    m['locs[1]'] = Math.max(a, b);
  }
  if (model === 'relax_toy' && m.theta === undefined) m.theta = 1 / (1 + Math.exp(-m.phi));
  const { ref } = REF[model];
  return Math.max(...Object.entries(ref).map(([k, [mu, sd]]) => Math.abs(m[k] - mu) / sd));
}

function run(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed:\n${r.stderr?.slice(-2000)}`);
  return { wall, ...JSON.parse(line.slice(7)) };
}

const tmp = mkdtempSync(join(tmpdir(), 'peers-'));
function webppl(row, cfg, seed) {
  const model = rowModel(row);
  const data = JSON.parse(readFileSync(`${root}models/${model}.json`, 'utf8'));
  const full = { ...cfg, data, ref: REF[model].ref, tol: REF[model].tol };
  const src = `var CFG = JSON.parse(${JSON.stringify(JSON.stringify(full))});\n` + readFileSync(`${here}${rowWppl(row)}.wppl`, 'utf8') + readFileSync(`${here}driver.wppl`, 'utf8');
  const file = join(tmp, `${rowWppl(row)}.wppl`);
  writeFileSync(file, src);
  return run(process.execPath, [`${root}node_modules/webppl/webppl`, file, '--random-seed', String(seed)]);
}
function tilde(row, cfg, seed) {
  return run(process.execPath, [`${here}tilde-fit.mjs`, JSON.stringify({ model: rowModel(row), seed, ...ROWS[row]?.tilde, ...cfg })]);
}

// --table FILE: print the table of a saved run and stop.
if (arg('table')) {
  console.log(table(JSON.parse(readFileSync(arg('table'), 'utf8'))));
  process.exit(0);
}

const results = [];
const save = () => writeFileSync(OUT, JSON.stringify(results, null, 1));
for (let rep = 1; rep <= REPS; rep++) {
  for (const model of MODELS) {
    if (model === 'gmm' && rep > GMM_REPS) continue;
    const p = PLAN[model];
    const seed = rep;
    const jobs = {
      tilde: () => {
        const acc = tilde(model, { particles: p.acc.particles, lr: p.acc.lr, ...(p.acc.tildeSteps ? { steps: p.acc.tildeSteps } : {}), ...(p.acc.tildeTol !== undefined ? { tolRelObj: p.acc.tildeTol } : {}), ...(p.acc.tildeSteps && p.acc.tildeSteps < 300 ? { evalEvery: 25 } : {}) }, seed);
        const rate = tilde(model, { particles: p.rate.particles, lr: p.acc.lr, steps: p.rate.tildeSteps ?? p.rate.steps, tolRelObj: 0, evalEvery: p.rate.tildeWarm ?? p.rate.warm, draws: 20 }, seed);
        return { acc, rate };
      },
      webppl: () => {
        const acc = webppl(model, { steps: p.acc.cap, particles: p.acc.particles, lr: p.acc.lr, warm: 20, check: 25 }, seed);
        const rate = webppl(model, { steps: p.rate.steps, particles: p.rate.particles, lr: p.acc.lr, warm: p.rate.warm, check: 0 }, seed);
        return { acc, rate };
      },
    };
    const order = rep % 2 === 1 ? ['tilde', 'webppl'] : ['webppl', 'tilde'];
    for (const sys of order) {
      const r = jobs[sys]();
      r.acc.err = error(rowModel(model), r.acc.mean);
      results.push({ rep, model, sys, ...r });
      save();
      console.error(`rep ${rep} ${model} ${sys}: acc wall ${r.acc.wall.toFixed(1)} s, ${r.acc.steps} steps, err ${r.acc.err.toFixed(3)}; ${(1000 / r.acc.steadyMsPerStep).toFixed(1)} / ${(1000 / r.rate.steadyMsPerStep).toFixed(1)} steps/s`);
    }
  }
}
console.log(table(results));

export function table(results) {
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  };
  const fmt = (xs, d = 1) => (xs.length > 1 ? `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})` : xs[0].toFixed(d));
  const rows = [];
  rows.push('| model | quantity | tilde | WebPPL | tilde/WebPPL |', '|---|---|---|---|---|');
  for (const model of Object.keys(PLAN)) {
    const reps = [...new Set(results.filter((r) => r.model === model).map((r) => r.rep))];
    const pair = reps.map((rep) => [results.find((r) => r.model === model && r.rep === rep && r.sys === 'tilde'), results.find((r) => r.model === model && r.rep === rep && r.sys === 'webppl')]).filter(([a, b]) => a && b);
    if (!pair.length) continue;
    const p = PLAN[model];
    const line = (q, f, d = 1, dr = 2) => {
      const t = pair.map(([a]) => f(a)), w = pair.map(([, b]) => f(b));
      rows.push(`| ${model} | ${q} | ${fmt(t, d)} | ${fmt(w, d)} | ${fmt(pair.map(([a, b]) => f(a) / f(b)), dr)} |`);
    };
    line(`steps/s, ${p.acc.particles} particle${p.acc.particles > 1 ? 's' : ''}, during the accuracy run`, (r) => 1000 / r.acc.steadyMsPerStep);
    line(`steps/s, ${p.rate.particles} particle${p.rate.particles > 1 ? 's' : ''}, rate run`, (r) => 1000 / r.rate.steadyMsPerStep);
    line(`process wall s, start-up included (stop at error ≤ ${REF[rowModel(model)].tol} or the cap)`, (r) => r.acc.wall);
    line('steps taken', (r) => r.acc.steps, 0);
    line('final error (sd units; θ for relax_toy)', (r) => r.acc.err, 3);
    rows.push(`| ${model} | runs within tol (tilde / WebPPL) | ${pair.filter(([a]) => a.acc.err <= REF[rowModel(model)].tol).length}/${pair.length} | ${pair.filter(([, b]) => b.acc.err <= REF[rowModel(model)].tol).length}/${pair.length} | |`);
  }
  return rows.join('\n') + `\n\n(${cpus().length} × ${cpus()[0]?.model}; medians over repetitions, min–max in brackets)`;
}
