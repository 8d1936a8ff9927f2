// dose-response.mjs — simulates the data of models/dose_response.tilde (and nothing else).
//
//   node scripts/reference/dose-response.mjs
//
// A Hill (Emax) dose-response curve: 8 doses, log-spaced from 0.1 to 100, 5 replicates each,
//   response = e0 + emax * r / (1 + r) + Normal(0, sigma),   r = (dose / ec50) ^ h,
// with the TRUE values below. One seedrandom stream seeded 'tilde/dose_response', so a re-run
// writes a byte-identical file. The values are repeated in the model's header comment and in
// test/inference/functions.test.ts, which checks that a fit recovers them.

import seedrandom from 'seedrandom';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRUE = { e0: 1.0, emax: 4.0, ec50: 5.0, h: 1.5, sigma: 0.3 };
const rng = seedrandom('tilde/dose_response');
/** Normal(loc, scale) by Box–Muller (one value per call; 1 − u avoids log 0). */
const normal = (loc, scale) => loc + scale * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const round = (x, digits) => Number(x.toFixed(digits));

const levels = Array.from({ length: 8 }, (_, i) => round(0.1 * 1000 ** (i / 7), 4));
const dose = levels.flatMap((d) => [d, d, d, d, d]);
const response = dose.map((d) => {
  const r = (d / TRUE.ec50) ** TRUE.h;
  return round(normal(TRUE.e0 + (TRUE.emax * r) / (1 + r), TRUE.sigma), 3);
});

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'dose_response.json');
writeFileSync(out, `${JSON.stringify({ N: dose.length, dose, response })}\n`);
console.log(`wrote ${out}: N = ${dose.length}, doses ${levels.join(', ')}`);
