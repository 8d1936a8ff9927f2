// What a fit does when its step does not compile as planned. Where the JavaScript lowering's
// float64 value disagrees with the traced float32 one, the same trace is lowered to tfjs kernels
// and, agreeing, runs the fit (the numbers of that backend named); where nothing traces, or
// neither lowering agrees, the fit stops with an error naming the model's file and the reason.
// There is no other engine to fall back to. Every family and builtin of the language traces, so
// this file provokes the failures (vi.mock, for this file only): it takes the IR rule for Log away,
// as a builtin added without one would, and it offsets either lowering's value at the self-check.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../../inference/backend.js';
import { estimateGradients } from '../../../inference/gradients.js';
import { compile } from '../../../inference/model.js';

const broken = vi.hoisted(() => ({ log: false, js: false, tfjs: false }));

vi.mock('../../../inference/compile/from-tfjs.js', async (importOriginal) => {
  const own = await importOriginal<typeof import('../../../inference/compile/from-tfjs.js')>();
  return {
    ...own,
    convertKernel: (...args: Parameters<typeof own.convertKernel>) => {
      if (broken.log && args[1] === 'Log') throw new own.NotCompilable('the tfjs kernel Log');
      return own.convertKernel(...args);
    },
  };
});

// A lowering whose value is off by one (its gradients untouched): what a lowering's bug, or a
// cancellation that float64 and float32 resolve differently, looks like to the self-check.
vi.mock('../../../inference/compile/step-js.js', async (importOriginal) => {
  const own = await importOriginal<typeof import('../../../inference/compile/step-js.js')>();
  class JsStep extends own.JsStep {
    override evaluate(): number {
      return super.evaluate() + (broken.js ? 1 : 0);
    }
  }
  return { ...own, JsStep };
});
vi.mock('../../../inference/compile/step-tfjs.js', async (importOriginal) => {
  const own = await importOriginal<typeof import('../../../inference/compile/step-tfjs.js')>();
  class TfjsStep extends own.TfjsStep {
    override evaluate(): number {
      return super.evaluate() + (broken.tfjs ? 1 : 0);
    }
  }
  return { ...own, TfjsStep };
});

beforeAll(async () => {
  await selectBackend('cpu');
});

afterEach(() => {
  broken.log = broken.js = broken.tfjs = false;
});

// REINFORCE at one particle keeps a moving-average baseline: state the compiled step carries.
const source = 'data y: int = 3\nk ~ Poisson(2.5)\ny ~ Poisson(k + 1)\n';
const options = { particles: 1, steps: 100, draws: 20 } as const;

describe('a JavaScript lowering that fails its check against the trace', () => {
  it('gives way to the tfjs lowering of the same trace: the numbers of that backend named', async () => {
    const m = compile(source, { file: 'counts.tilde' });
    broken.js = true;
    const retried = await m.fit(options);
    expect(retried.diagnostics.lowering).toBe('tfjs');
    expect(retried.diagnostics.backend).toBe('cpu');
    broken.js = false;
    const named = await m.fit({ ...options, backend: 'cpu' });
    expect(named.diagnostics.lowering).toBe('tfjs');
    expect(retried.toJSON().flat).toEqual(named.toJSON().flat);
    expect(retried.summary()).toEqual(named.summary());
    // Without the fault the JavaScript lowering runs it.
    expect((await m.fit(options)).diagnostics.lowering).toBe('js');
  });

  it("is refused under backend 'js', with the reason", async () => {
    broken.js = true;
    await expect(compile(source).fit({ ...options, backend: 'js' })).rejects.toThrow(/^backend 'js' cannot run this fit: internal: the compiled loss \S+ differs from the traced \S+; use backend 'auto' or a tfjs backend$/);
  });

  it('stops the fit, naming the file and both reasons, when the tfjs lowering fails too', async () => {
    broken.js = broken.tfjs = true;
    await expect(compile(source, { file: 'counts.tilde' }).fit(options)).rejects.toThrow(
      /^internal: counts\.tilde: its step could not be compiled \(the compiled loss \S+ differs from the traced \S+; internal: the tfjs-lowered loss \S+ differs from the traced \S+\); please report/,
    );
  });

  it('tilde grad takes the tfjs lowering too', async () => {
    broken.js = true;
    const r = await estimateGradients(compile(source), { draws: 50, particles: 1 });
    expect(r.lowering).toBe('tfjs');
    expect(Object.keys(r.params).length).toBeGreaterThan(0);
  });
});

describe('a step that cannot be traced', () => {
  it('stops the fit with an error naming the file and the reason', async () => {
    broken.log = true;
    await expect(compile(source, { file: 'counts.tilde' }).fit(options)).rejects.toThrow(/^internal: counts\.tilde: its step could not be compiled \(the tfjs kernel Log\); please report/);
  });

  it('stops tilde grad alike, on a tfjs backend named too', async () => {
    broken.log = true;
    for (const backend of ['auto', 'cpu'] as const) {
      await expect(estimateGradients(compile(source, { file: 'counts.tilde' }), { draws: 5, backend })).rejects.toThrow(/^internal: counts\.tilde: its step could not be compiled \(the tfjs kernel Log\); please report/);
    }
  });

  it("is refused under backend 'js', with the reason", async () => {
    broken.log = true;
    await expect(compile(source).fit({ ...options, backend: 'js' })).rejects.toThrow("backend 'js' cannot run this fit: the tfjs kernel Log; use backend 'auto' or a tfjs backend");
  });
});
