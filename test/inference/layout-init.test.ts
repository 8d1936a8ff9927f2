// Initial values of params (inference/layout.ts): matrices — in the model or in a guide
// block — start Glorot-uniform, U(±√(6/(A+B))), from the fit's seed; vectors and
// scalars start at unconstrained 0; declared inits win.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { paramKey } from '../../inference/layout.js';
import { compile } from '../../inference/model.js';
import { prepareStart } from '../../inference/prepare.js';
import { modelsDir } from './front.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const SOURCE = readFileSync(`${modelsDir}sbn.tilde`, 'utf8');
const DATA = JSON.parse(readFileSync(`${modelsDir}sbn.json`, 'utf8')) as Record<string, unknown>;

function inits(seed: number, source = SOURCE) {
  const model = compile(source);
  const start = prepareStart(model.program, model.bind(DATA), { seed });
  const { layout, random: flat } = start;
  const block = (scope: string, name: string) => {
    const b = layout.blocks.get(paramKey({ scope, name }))!;
    return { shape: b.shape, values: Array.from(flat.subarray(b.offset, b.offset + b.size)) };
  };
  start.dispose();
  return { flat, block };
}

describe('initial values of params', () => {
  it('matrices (model W [8, 16], guide V [16, 8]) are Glorot-uniform: inside ±√(6/24), filling it, centred', () => {
    const { block } = inits(1);
    for (const [scope, name] of [['model', 'W'], ['guide', 'V']] as const) {
      const { shape, values } = block(scope, name);
      expect(shape.length).toBe(2);
      const a = Math.sqrt(6 / (shape[0]! + shape[1]!));
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(a);
      // 128 uniform draws: the extremes reach past ±0.9a (each misses with probability 0.95¹²⁸ < 0.2 %).
      expect(Math.max(...values)).toBeGreaterThan(0.9 * a);
      expect(Math.min(...values)).toBeLessThan(-0.9 * a);
      // Mean of 128 draws of U(−a, a): sd a/√(3·128) ≈ 0.051a; 4 se.
      const mean = values.reduce((x, y) => x + y, 0) / values.length;
      expect(Math.abs(mean)).toBeLessThan(4 * a / Math.sqrt(3 * values.length));
      // Units differ: no two rows alike.
      expect(new Set(values).size).toBe(values.length);
    }
  });

  it('vectors start at 0 (model c, a; guide d)', () => {
    const { block } = inits(1);
    for (const [scope, name] of [['model', 'c'], ['model', 'a'], ['guide', 'd']] as const) expect(block(scope, name).values.every((v) => v === 0)).toBe(true);
  });

  it('the same seed gives the same values bit for bit; another seed other values', () => {
    const one = inits(7).flat;
    const again = inits(7).flat;
    const other = inits(8).flat;
    expect(Array.from(again)).toEqual(Array.from(one));
    expect(Array.from(other)).not.toEqual(Array.from(one));
  });

  it('a declared init wins over the random start', () => {
    const { block } = inits(1, SOURCE.replace('param W: real[H, D]', 'param W: real[H, D] = 0.25'));
    expect(block('model', 'W').values.every((v) => v === 0.25)).toBe(true);
  });
});
