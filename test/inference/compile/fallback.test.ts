// A fit whose step cannot be traced runs on the tfjs engine with its tape, says why, and is refused
// under backend 'js'. Every family and builtin of the language now traces (count and von Mises draws
// included), so the one way left is a tfjs kernel with no IR rule: this file takes the rule for Log
// away (vi.mock, for this file only), as a builtin added without one would.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../../inference/backend.js';
import { compile } from '../../../inference/model.js';

vi.mock('../../../inference/compile/from-tfjs.js', async (importOriginal) => {
  const own = await importOriginal<typeof import('../../../inference/compile/from-tfjs.js')>();
  return {
    ...own,
    convertKernel: (...args: Parameters<typeof own.convertKernel>) => {
      if (args[1] === 'Log') throw new own.NotCompilable('the tfjs kernel Log');
      return own.convertKernel(...args);
    },
  };
});

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('a step that cannot be traced', () => {
  // REINFORCE at one particle keeps a moving-average baseline: the try at tracing evaluated the
  // estimators once and warm-started it, so the fit must start again from clean estimators and
  // give the numbers of the tfjs backend it fell back to, asked for by name.
  const source = 'data y: int = 3\nk ~ Poisson(2.5)\ny ~ Poisson(k + 1)\n';

  it("runs on the tfjs tape, says why, and gives the numbers of that backend named", async () => {
    const m = compile(source);
    const tried = await m.fit({ particles: 1, steps: 100, draws: 20 });
    expect(tried.diagnostics.lowering).toBe('tape');
    expect(tried.diagnostics.notCompiled).toBe('the tfjs kernel Log');
    const named = await m.fit({ particles: 1, steps: 100, draws: 20, backend: tried.diagnostics.backend as 'cpu' });
    expect(named.diagnostics.lowering).toBe('tape');
    expect(named.toJSON().flat).toEqual(tried.toJSON().flat);
    expect(named.summary()).toEqual(tried.summary());
  });

  it("is refused under backend 'js', with the reason", async () => {
    await expect(compile(source).fit({ particles: 1, steps: 100, draws: 20, backend: 'js' })).rejects.toThrow("backend 'js' cannot run this fit: the tfjs kernel Log; use backend 'auto' or a tfjs backend");
  });
});
