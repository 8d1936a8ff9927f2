// Two stochastic layers drawn one from the other (a two-layer belief net's guide): both get RELAX
// (the upper layer used to fall back to REINFORCE, "its value decides how 'z2' is drawn"), the
// lower layer's relaxed passes relax the upper one from its own noise, and the estimate stays
// unbiased: its mean matches the exact ELBO gradient by enumeration, |z| < 4, on both engines.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { estimateGradients } from '../../inference/gradients.js';
import { compile } from '../../inference/model.js';
import { makePlan } from '../../inference/plan.js';
import { front, model } from './front.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const SOURCE = `data x: int[2]
z2 ~ Bernoulli(0.4)
z1 ~ Bernoulli(logits = 2 * z2 - 1)
x ~ Bernoulli(logits = 3 * z1 - 1.5)
guide {
  param a: real = 0.3
  param b: real = -0.2
  param w: real = 1.5
  z1 ~ Bernoulli(logits = a)
  z2 ~ Bernoulli(logits = w * z1 + b)
}`;
const X = [1, 0];

const logSig = (v: number) => -Math.log1p(Math.exp(-v));
const bern = (k: number, logit: number) => (k ? logSig(logit) : logSig(-logit));

/** The ELBO by enumerating (z1, z2), float64. */
function elbo([a, b, w]: number[]): number {
  let total = 0;
  for (const z1 of [0, 1]) {
    for (const z2 of [0, 1]) {
      const lq = bern(z1, a!) + bern(z2, w! * z1 + b!);
      const lp = Math.log(z2 ? 0.4 : 0.6) + bern(z1, 2 * z2 - 1) + X.reduce((s, x) => s + bern(x, 3 * z1 - 1.5), 0);
      total += Math.exp(lq) * (lp - lq);
    }
  }
  return total;
}

function exactGradient(theta: number[]): number[] {
  const h = 1e-5;
  return theta.map((_, i) => {
    const up = theta.slice();
    const down = theta.slice();
    up[i]! += h;
    down[i]! -= h;
    return (elbo(up) - elbo(down)) / (2 * h);
  });
}

describe('RELAX on two layers drawn one from the other', () => {
  it('both layers get RELAX, in the bundled two-layer belief net too', () => {
    const plan = makePlan(front(SOURCE)).plan!;
    expect(plan.bySite.get('z1')!.estimator).toBe('relax');
    expect(plan.bySite.get('z2')!.estimator).toBe('relax');
    const sbn2 = makePlan(model('sbn2')).plan!;
    expect([sbn2.bySite.get('z1')!.estimator, sbn2.bySite.get('z2')!.estimator]).toEqual(['relax', 'relax']);
  });

  for (const backend of ['cpu', 'js'] as const) {
    it(`is unbiased for the ELBO's gradient (${backend === 'js' ? 'JavaScript lowering' : 'tfjs lowering'})`, { timeout: 240_000 }, async () => {
      const draws = backend === 'js' ? 4000 : 300;
      const r = await estimateGradients(compile(SOURCE, { file: 'layers.tilde' }), { data: { x: X }, draws, particles: 1, seed: 4, backend, surrogateSteps: 50 });
      expect(r.plan).toEqual({ z2: 'relax', z1: 'relax' });
      const exact = exactGradient([0.3, -0.2, 1.5]);
      ['guide.a', 'guide.b', 'guide.w'].forEach((k, i) => {
        const st = r.params[k]!;
        const se = Math.sqrt(st.variance[0]! / draws);
        expect(Math.abs(st.mean[0]! - exact[i]!) / se, `${k}: ${st.mean[0]} vs ${exact[i]} (se ${se})`).toBeLessThan(4);
      });
    });
  }
});

describe("RELAX's learned temperature and scale are reported", () => {
  it('in progress events and the fit diagnostics, on both lowerings of the compiled step', { timeout: 120_000 }, async () => {
    const toy = compile('data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi)\nminimize (t - b) ^ 2', { file: 'toy.tilde' });
    for (const backend of ['js', 'cpu'] as const) {
      const seen: number[] = [];
      const fit = await toy.fit({ steps: 200, evalEvery: 50, backend, seed: 1, onProgress: (p) => seen.push(p.surrogates!['b']!.temperature) });
      const s = fit.diagnostics.surrogates!['b']!;
      expect(seen).toHaveLength(4);
      // λ starts at 0.5 and is trained from the first step: every reading has moved, and the last is the fit's.
      for (const t of seen) expect(t).not.toBe(0.5);
      expect(s.temperature).toBeCloseTo(seen[seen.length - 1]!, 12);
      expect(Number.isFinite(s.scale)).toBe(true);
    }
    // No RELAX site, no readings.
    const plain = await compile('data y: real = 1\nm ~ Normal(0, 1)\ny ~ Normal(m, 1)', { file: 'n.tilde' }).fit({ steps: 50 });
    expect(plain.diagnostics.surrogates).toBeUndefined();
  });
});
