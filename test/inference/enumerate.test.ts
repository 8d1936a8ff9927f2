// The enumerate estimator sums a plated Bernoulli/Categorical site out exactly: its gradient
// w.r.t. the guide's logits equals the closed form, with no Monte Carlo variance.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { estimateGradients } from '../../inference/gradients.js';
import { compile } from '../../inference/model.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const logN = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);

describe('enumerate', () => {
  it('gives the exact ELBO gradient for a plated Bernoulli site', async () => {
    const x = [0.3, 1.9, -0.4];
    const model = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3)\nx ~ Normal(2 * z, 1)\n');
    const r = await estimateGradients(model, { data: { x }, estimator: 'enumerate', draws: 5, particles: 2, backend: 'cpu' });
    const g = r.params['z.logits']!;
    // Guide logits start at 0 (q = ½): dELBO/dℓ = q₁q₀[(g₁ − g₀) − (log q₁ − log q₀)], g_k = log p(k) + log N(x; 2k, 1).
    x.forEach((xn, n) => {
      const g1 = Math.log(0.3) + logN(xn, 2);
      const g0 = Math.log(0.7) + logN(xn, 0);
      const exact = 0.25 * (g1 - g0);
      expect(g.mean[n]).toBeCloseTo(exact, 4);
      expect(g.variance[n]).toBeLessThan(1e-9);
    });
  });

  it('gives the exact gradient for a Categorical site that indexes a parameter vector', async () => {
    const model = compile('plate N\ndata x: real[N]\ndata m: real[3] = [-1, 0, 2]\nz: int[N] ~ Categorical([0.2, 0.3, 0.5])\nx ~ Normal(m[z], 1)\n');
    const x = [1.5, -0.8];
    const r = await estimateGradients(model, { data: { x }, estimator: 'enumerate', draws: 3, backend: 'cpu' });
    const g = r.params['z.logits']!;
    const prior = [0.2, 0.3, 0.5];
    const m = [-1, 0, 2];
    x.forEach((xn, n) => {
      // q uniform (logits 0): dELBO/dℓ_j = q_j (h_j − Σ_k q_k h_k), h_k = log p(k) + log N(x; m_k, 1) − log q_k.
      const q = 1 / 3;
      const h = prior.map((p, k) => Math.log(p) + logN(xn, m[k]!) - Math.log(q));
      const mean = h.reduce((a, b) => a + q * b, 0);
      h.forEach((hj, j) => expect(g.mean[n * 3 + j]).toBeCloseTo(q * (hj - mean), 4));
    });
  });

  it('refuses sites it cannot sum out, saying why', async () => {
    const model = compile('data x: real[2]\nz: int[2] ~ Bernoulli(0.3)\nx ~ Normal(z, 1)\n');
    await expect(model.fit({ data: { x: [0, 1] }, estimator: 'enumerate', steps: 2 })).rejects.toThrow(/enumerate needs a scalar site or a vector along a plate/);
  });
});
