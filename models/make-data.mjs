// make-data.mjs — writes the synthetic data sets of models/ (and nothing else).
//
//   node models/make-data.mjs
//
// Every data set has its own seedrandom stream, seeded with the string
// 'tilde/<model name>', so re-running the script rewrites byte-identical files.
// The true parameters used here are repeated in each model's header comment; the
// closed-form posteriors quoted there are printed at the end of a run.
// Hand-written data (eight_schools.json, relax_toy.json) are not touched.

import seedrandom from 'seedrandom';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- random draws
const stream = (name) => seedrandom(`tilde/${name}`);
/** Normal(loc, scale) by Box–Muller (one value per call; 1 − u avoids log 0). */
const normal = (rng, loc = 0, scale = 1) =>
  loc + scale * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const bernoulli = (rng, p) => (rng() < p ? 1 : 0);
const categorical = (rng, probs) => {
  let u = rng();
  for (let k = 0; k < probs.length - 1; k++) {
    if (u < probs[k]) return k;
    u -= probs[k];
  }
  return probs.length - 1;
};
/** Poisson by Knuth's product of uniforms (fine for the small rates used here). */
const poisson = (rng, rate) => {
  const limit = Math.exp(-rate);
  let k = 0;
  let prod = rng();
  while (prod > limit) {
    k++;
    prod *= rng();
  }
  return k;
};
const sigmoid = (x) => 1 / (1 + Math.exp(-x));
/** Round to `digits` decimals so the JSON stays small; the rounded values ARE the data. */
const round = (x, digits = 4) => Number(x.toFixed(digits));

// ---------------------------------------------------------------- JSON output
/** Numbers and flat arrays on one line, one matrix row per line. */
function formatValue(v) {
  if (!Array.isArray(v)) return JSON.stringify(v);
  if (v.length > 0 && Array.isArray(v[0])) return `[\n    ${v.map((row) => JSON.stringify(row)).join(',\n    ')}\n  ]`;
  return JSON.stringify(v).replace(/,/g, ', ');
}
function write(name, data) {
  const body = Object.entries(data)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${formatValue(v)}`)
    .join(',\n');
  writeFileSync(join(here, `${name}.json`), `{\n${body}\n}\n`);
}
const summary = [];
const report = (line) => summary.push(line);
const fmt = (x) => Number(x.toPrecision(6));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- coin
{
  const rng = stream('coin');
  const N = 15;
  const pTrue = 0.7;
  const x = Array.from({ length: N }, () => bernoulli(rng, pTrue));
  write('coin', { N, x });
  const k = sum(x);
  const a = 2 + k;
  const b = 2 + N - k;
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
  report(`coin: k = ${k} heads of ${N}; posterior Beta(${a}, ${b}), mean ${fmt(mean)}, sd ${fmt(sd)}`);
}

// ---------------------------------------------------------------- normal_normal
{
  const rng = stream('normal_normal');
  const N = 20;
  const muTrue = 3;
  const sigma = 2; // the model's default for `data sigma`
  const y = Array.from({ length: N }, () => round(normal(rng, muTrue, sigma)));
  write('normal_normal', { N, y });
  const m0 = 0;
  const s0 = 5;
  const precision = 1 / s0 ** 2 + N / sigma ** 2;
  const mean = (m0 / s0 ** 2 + sum(y) / sigma ** 2) / precision;
  report(`normal_normal: sum(y) = ${fmt(sum(y))}, mean(y) = ${fmt(sum(y) / N)}; posterior Normal(${fmt(mean)}, ${fmt(Math.sqrt(1 / precision))})`);
}

// ---------------------------------------------------------------- logistic_regression
{
  const rng = stream('logistic_regression');
  const N = 500;
  const D = 5;
  const beta = [1.0, -2.0, 0.5, 0.0, 1.5];
  const alpha = -0.5;
  const X = Array.from({ length: N }, () => Array.from({ length: D }, () => round(normal(rng), 3)));
  const y = X.map((row) => bernoulli(rng, sigmoid(alpha + sum(row.map((v, d) => v * beta[d])))));
  write('logistic_regression', { N, D, X, y });
  report(`logistic_regression: ${sum(y)} ones of ${N}`);
}

// ---------------------------------------------------------------- poisson_regression
{
  const rng = stream('poisson_regression');
  const N = 100;
  const D = 2;
  const beta = [0.8, -0.4];
  const alpha = 0.5;
  const X = Array.from({ length: N }, () => Array.from({ length: D }, () => round(normal(rng), 3)));
  const y = X.map((row) => poisson(rng, Math.exp(alpha + sum(row.map((v, d) => v * beta[d])))));
  write('poisson_regression', { N, D, X, y });
  report(`poisson_regression: sum(y) = ${sum(y)}, max(y) = ${Math.max(...y)}`);
}

// ---------------------------------------------------------------- gamma_poisson
{
  const rng = stream('gamma_poisson');
  const N = 25;
  const rateTrue = 3.5;
  const y = Array.from({ length: N }, () => poisson(rng, rateTrue));
  write('gamma_poisson', { N, y });
  const shape = 2 + sum(y);
  const rate = 0.5 + N;
  report(`gamma_poisson: sum(y) = ${sum(y)}; posterior Gamma(${shape}, ${rate}), mean ${fmt(shape / rate)}, sd ${fmt(Math.sqrt(shape) / rate)}`);
}

// ---------------------------------------------------------------- gmm
{
  const rng = stream('gmm');
  const N = 200;
  const K = 2;
  const locs = [-2, 2];
  const scale = 1;
  const z = Array.from({ length: N }, () => categorical(rng, [0.5, 0.5]));
  const x = z.map((k) => round(normal(rng, locs[k], scale)));
  write('gmm', { N, K, x });
  const n1 = sum(z);
  report(`gmm: true assignments ${N - n1} in component 0 (loc -2), ${n1} in component 1 (loc 2); mean x | z=0: ${fmt(sum(x.filter((_, i) => z[i] === 0)) / (N - n1))}, | z=1: ${fmt(sum(x.filter((_, i) => z[i] === 1)) / n1)}`);
}

// ---------------------------------------------------------------- sbn (the "bars" problem)
{
  // 4 × 4 binary images, pixel d = 4 * row + col. Latent h < 4 is horizontal bar h
  // (row h), latent h ≥ 4 is vertical bar h − 4 (column h − 4). Generated from the
  // model itself: z ~ Bernoulli(0.25), x ~ Bernoulli(logits = z @ W + c) with
  // W[h, d] = 6 where bar h covers pixel d (else 0) and c[d] = −3.
  const rng = stream('sbn');
  const N = 100;
  const side = 4;
  const D = side * side;
  const H = 2 * side;
  const covers = (h, d) => (h < side ? Math.floor(d / side) === h : d % side === h - side);
  const W = Array.from({ length: H }, (_, h) => Array.from({ length: D }, (_, d) => (covers(h, d) ? 6 : 0)));
  const c = Array.from({ length: D }, () => -3);
  const z = Array.from({ length: N }, () => Array.from({ length: H }, () => bernoulli(rng, 0.25)));
  const x = z.map((zn) =>
    Array.from({ length: D }, (_, d) => bernoulli(rng, sigmoid(c[d] + sum(zn.map((zh, h) => zh * W[h][d]))))),
  );
  write('sbn', { N, D, H, x });
  report(`sbn: ${N} images of ${D} pixels, ${H} latents; mean pixel ${fmt(sum(x.flat()) / (N * D))}; mean active bars ${fmt(sum(z.flat()) / N)}`);
}

// ---------------------------------------------------------------- sbn2 (two-layer "bars")
{
  // The bars of sbn, caused one layer up: 8 top units z2 ~ Bernoulli(0.2); top unit g
  // switches on bars g and (g + 1) mod 8 through z1 ~ Bernoulli(logits = z2 @ W2 + c2),
  // W2[g, h] = 6 for those two bars (else 0), c2 = −3; then x as in sbn.
  const rng = stream('sbn2');
  const N = 100;
  const side = 4;
  const D = side * side;
  const H = 2 * side;
  const covers = (h, d) => (h < side ? Math.floor(d / side) === h : d % side === h - side);
  const W2 = Array.from({ length: H }, (_, g) => Array.from({ length: H }, (_, h) => (h === g || h === (g + 1) % H ? 6 : 0)));
  const W1 = Array.from({ length: H }, (_, h) => Array.from({ length: D }, (_, d) => (covers(h, d) ? 6 : 0)));
  const layer = (above, W, c, width) => Array.from({ length: width }, (_, j) => bernoulli(rng, sigmoid(c + sum(above.map((a, i) => a * W[i][j])))));
  const z2 = Array.from({ length: N }, () => Array.from({ length: H }, () => bernoulli(rng, 0.2)));
  const z1 = z2.map((t) => layer(t, W2, -3, H));
  const x = z1.map((t) => layer(t, W1, -3, D));
  write('sbn2', { N, D, H, x });
  report(`sbn2: ${N} images of ${D} pixels, ${H} + ${H} latents; mean pixel ${fmt(sum(x.flat()) / (N * D))}; mean active bars ${fmt(sum(z1.flat()) / N)}, top units ${fmt(sum(z2.flat()) / N)}`);
}

// ---------------------------------------------------------------- hmm
{
  const rng = stream('hmm');
  const T = 30;
  const K = 2;
  const A = [
    [0.85, 0.15],
    [0.15, 0.85],
  ];
  const mu = [-1.5, 1.5];
  const sigma = 0.6;
  const z = [categorical(rng, [0.5, 0.5])];
  for (let t = 1; t < T; t++) z.push(categorical(rng, A[z[t - 1]]));
  const y = z.map((k) => round(normal(rng, mu[k], sigma)));
  write('hmm', { T, K, y });
  report(`hmm: true states ${z.join('')}`);
}

// ---------------------------------------------------------------- linear_regression (JSON and CSV)
{
  const rng = stream('linear_regression');
  const N = 50;
  const alpha = 1;
  const beta = 2;
  const sigma = 0.5;
  const x = Array.from({ length: N }, () => round(-2 + 4 * rng(), 3));
  const y = x.map((v) => round(normal(rng, alpha + beta * v, sigma)));
  write('linear_regression', { x, y });
  writeFileSync(join(here, 'linear_regression.csv'), `x,y\n${x.map((v, i) => `${v},${y[i]}`).join('\n')}\n`);
  report(`linear_regression: N = ${N}`);
}

// ---------------------------------------------------------------- dirichlet_categorical
{
  const rng = stream('dirichlet_categorical');
  const N = 40;
  const K = 3;
  const thetaTrue = [0.2, 0.5, 0.3];
  const y = Array.from({ length: N }, () => categorical(rng, thetaTrue));
  write('dirichlet_categorical', { N, K, y });
  const counts = [0, 1, 2].map((k) => y.filter((v) => v === k).length);
  const a = counts.map((n) => 1 + n);
  const a0 = sum(a);
  const means = a.map((ak) => fmt(ak / a0));
  const sds = a.map((ak) => fmt(Math.sqrt((ak * (a0 - ak)) / (a0 ** 2 * (a0 + 1)))));
  report(`dirichlet_categorical: counts ${counts.join(', ')}; posterior Dirichlet(${a.join(', ')}), means ${means.join(', ')}, sds ${sds.join(', ')}`);
}

// ---------------------------------------------------------------- scale_switch
{
  const rng = stream('scale_switch');
  const y = Array.from({ length: 30 }, () => normal(rng, 2, 1));
  write('scale_switch', { y });
  // Given z = 1 (the odds against z = 0 are overwhelming at 30 points), m | y is Normal with precision 1/100 + 30.
  const precision = 1 / 100 + 30;
  report(`scale_switch: given z = 1, m | y ~ Normal(${fmt(sum(y) / precision)}, ${fmt(1 / Math.sqrt(precision))})`);
}

console.log(summary.join('\n'));
