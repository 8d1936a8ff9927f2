// The simplifying pass (inference/compile/simplify.ts) changes no value: each bundled model's
// compiled step — reverse mode's program lowered as it is, and after the pass — gives the same
// loss and gradients, bit for bit, at the same parameters and noise; and the pass does shrink it.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../inference/backend.js';
import { compileFitStep } from '../../../inference/compile/compile-fit.js';
import { stepProgram } from '../../../inference/compile/step-program.js';
import { JsStep } from '../../../inference/compile/step-js.js';
import { compile } from '../../../inference/model.js';
import { prepare } from '../../../inference/prepare.js';
import { Rng } from '../../../inference/rng.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('simplify', () => {
  // Reparameterised (eight schools); RELAX with its second-order surrogate terms (the toy, the
  // mixture); a belief net; REINFORCE at one particle, whose moving-average baseline is carried state.
  const bundled = (name: string) => {
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(readFileSync(`${MODELS}${name}.json`, 'utf8')) as Record<string, unknown>;
    } catch {
      // every datum defaulted
    }
    return { name, source: readFileSync(`${MODELS}${name}.tilde`, 'utf8'), data, particles: 3 };
  };
  const cases = [
    ...['eight_schools', 'relax_toy', 'gmm', 'sbn'].map(bundled),
    { name: 'REINFORCE with an EMA baseline', source: 'data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi) @reinforce\nminimize (t - b) ^ 2\n', data: {}, particles: 1 },
  ];
  for (const { name, source, data, particles } of cases) {
    it(`${name}: the same loss and gradients with and without the pass`, () => {
      const m = compile(source, { file: `${name}.tilde` });
      const p = prepare(m.program, m.bind(data), { plan: m.plan, particles });
      try {
        const c = compileFitStep(p.est, { setup: p.setup, layout: p.layout, S: particles, rng: p.rng.split('steps'), mode: p.mode }, p.random, 'adam', 0.05, new Rng(2));
        expect(c.ok && c.step).toBeTruthy();
        if (!c.ok || !c.step) return;
        const step = c.step;
        const slots = c.trace.params.map(() => ({ rule: 'adam' as const, lr: 0.05 }));
        const plain = new JsStep(c.trace, slots, new Rng(3), stepProgram(c.trace, { simplify: false }));
        const simple = new JsStep(c.trace, slots, new Rng(3));
        expect(simple.nodes.after).toBeLessThan(plain.nodes.after);
        for (const s of [plain, simple]) {
          s.params.set(p.random);
          for (let k = 1; k < slots.length; k++) s.slot(k).set(step.slot(k));
          s.useTracedNoise(c.trace);
        }
        expect(simple.evaluate()).toBe(plain.evaluate());
        expect(Array.from(simple.grad)).toEqual(Array.from(plain.grad));
        // A few steps on: fresh noise from the same stream, the optimiser's updates, carried state.
        for (let k = 0; k < 5; k++) expect(simple.step()).toBe(plain.step());
        expect(Array.from(simple.params)).toEqual(Array.from(plain.params));
      } finally {
        p.dispose();
      }
    });
  }
});
