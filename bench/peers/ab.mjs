// Steady steps/s of two builds of tilde, alternated process by process (issue 7's before/after figures).
//   node bench/peers/ab.mjs --before DIR [--after DIR] [--reps 3] [--out FILE]
// DIR is a checkout with its own build (dist/), e.g. for the commit before a change:
//   git worktree add /tmp/before REV && ln -s "$PWD/node_modules" /tmp/before/ && (cd /tmp/before && npx tsc)
// Each cell runs one fit per build per repetition in a fresh process, order alternating, with the
// backend the fit picks itself; a fit's rate is the median over its progress windows after the first
// (which holds warm-up). Prints median (min–max) per build and the after/before ratio of medians.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const models = `${here}../../models/`;
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

if (argv[0] === '--child') {
  // One fit: prints the steady rate.
  const [, root, m, particles, steps, win] = argv;
  const { compile } = await import(`${root}/dist/index.js`);
  const model = compile(readFileSync(`${models}${m}.tilde`, 'utf8'), { file: `${m}.tilde` });
  const data = JSON.parse(readFileSync(`${models}${m}.json`, 'utf8'));
  const windows = [];
  await model.fit({ data, steps: +steps, particles: +particles, tolRelObj: 0, draws: 20, seed: 1, evalEvery: +win, init: 'random', onProgress: (p) => windows.push(p.stepsPerSecond) });
  const s = windows.slice(1).sort((a, b) => a - b);
  console.log(`RATE ${s[Math.floor(s.length / 2)]}`);
  process.exit(0);
}

const before = arg('before');
if (!before) throw new Error('--before DIR is required (a checkout with its dist/ built)');
const after = arg('after', fileURLToPath(new URL('../..', import.meta.url)));
const REPS = Number(arg('reps', 3));
// model, particles, steps, window
const CELLS = [
  ['gmm', 8, 80, 10], ['gmm', 1, 80, 10], ['relax_toy', 8, 600, 50], ['relax_toy', 1, 600, 50],
  ['eight_schools', 8, 600, 50], ['eight_schools', 1, 600, 50], ['normal_normal', 1, 600, 50], ['logistic_regression', 8, 300, 25],
];
const rate = (root, [m, p, steps, win]) => {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', root, m, String(p), String(steps), String(win)], { encoding: 'utf8' });
  return Number(/RATE ([\d.e+-]+)/.exec(out)[1]);
};
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs) => `${med(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const results = [];
console.log('| model | particles | before steps/s | after steps/s | after/before |');
console.log('|---|---:|---:|---:|---:|');
for (const cell of CELLS) {
  const r = { before: [], after: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const which of rep % 2 ? ['after', 'before'] : ['before', 'after']) r[which].push(rate(which === 'before' ? before : after, cell));
  }
  results.push({ model: cell[0], particles: cell[1], ...r });
  console.log(`| ${cell[0]} | ${cell[1]} | ${span(r.before)} | ${span(r.after)} | ${(med(r.after) / med(r.before)).toFixed(2)} |`);
}
if (arg('out')) writeFileSync(arg('out'), JSON.stringify({ before, after, reps: REPS, results }, null, 1));
