// Constant expressions, evaluated in the front end by one evaluator: data defaults when data
// are bound (data.ts, where names are the data's values) and distribution arguments when a
// program is checked (check/distributions.ts, where no name has a value yet), so both agree on
// what a constant is and what it is worth. Values are flat row-major arrays with their shape.

import type { Expr } from './ast.js';

export interface Constant {
  ok: true;
  shape: number[];
  /** Row-major; booleans as 0 / 1. */
  values: number[];
  /** A bool literal (true / false), not a number. */
  bools: boolean;
}

/** A constant array larger than this is not computed before inference (and not allocated). */
const MAX_ELEMENTS = 10_000_000;

export const scalarConstant = (x: number): Constant => ({ ok: true, shape: [], values: [x], bools: false });

/** The number a constant scalar expression stands for (`-1`, `2 * 0.5`, `exp(0)`); undefined for anything else. */
export function constantNumber(e: Expr): number | undefined {
  const v = evaluateConstant(e, () => undefined);
  return typeof v === 'string' || v.shape.length || v.bools ? undefined : v.values[0];
}

/**
 * The value of a constant expression, or why it has none (completing "the default of 'x' …").
 * `lookup` gives the values of names; a name it does not know has no value.
 */
export function evaluateConstant(e: Expr, lookup: (name: string) => Constant | undefined): Constant | string {
  const go = (x: Expr): Constant | string => {
    switch (x.kind) {
      case 'num':
        return scalarConstant(x.value);
      case 'bool':
        return { ok: true, shape: [], values: [x.value ? 1 : 0], bools: true };
      case 'var':
        return lookup(x.name) ?? `uses '${x.name}', which has no value`;
      case 'unary': {
        const v = go(x.arg);
        if (typeof v === 'string') return v;
        return { ...v, values: v.values.map((y) => (x.op === '-' ? -y : x.op === '!' ? (y ? 0 : 1) : y)) };
      }
      case 'binary': {
        const l = go(x.left);
        if (typeof l === 'string') return l;
        const r = go(x.right);
        if (typeof r === 'string') return r;
        const f = BINARY[x.op];
        if (!f) return `uses '${x.op}', which defaults cannot use`;
        return broadcast2(l, r, f) ?? `combines values of shapes [${l.shape.join(', ')}] and [${r.shape.join(', ')}]`;
      }
      case 'array': {
        const parts = x.elements.map(go);
        const bad = parts.find((p) => typeof p === 'string');
        if (bad) return bad;
        const vs = parts as Constant[];
        if (vs.length === 0) return { ok: true, shape: [0], values: [], bools: false };
        if (vs.some((v) => v.shape.join() !== vs[0]!.shape.join())) return 'is a ragged array';
        return { ok: true, shape: [vs.length, ...vs[0]!.shape], values: vs.flatMap((v) => v.values), bools: false };
      }
      case 'call': {
        const args = x.args.map((a) => go(a.value));
        const bad = args.find((p) => typeof p === 'string');
        if (bad) return bad;
        const vs = args as Constant[];
        const dims = (from: number): number[] => vs.slice(from).map((v) => v.values[0]!);
        const filled = (shape: number[], v: number): Constant => ({ ok: true, shape, values: new Array(shape.reduce((p, d) => p * d, 1)).fill(v), bools: false });
        if (['ones', 'zeros', 'fill'].includes(x.callee)) {
          const ds = dims(x.callee === 'fill' ? 1 : 0);
          if (ds.some((d) => !(Number.isInteger(d) && d >= 0))) return `calls '${x.callee}' with a dimension that is not a non-negative int`;
          if (ds.reduce((p, d) => p * d, 1) > MAX_ELEMENTS) return `calls '${x.callee}' for more than ${MAX_ELEMENTS} values`;
        }
        const unary = UNARY[x.callee];
        if (unary && vs.length === 1) return { ...vs[0]!, values: vs[0]!.values.map(unary) };
        if (x.callee === 'ones') return filled(dims(0), 1);
        if (x.callee === 'zeros') return filled(dims(0), 0);
        if (x.callee === 'fill') return filled(dims(1), vs[0]!.values[0]!);
        if (x.callee === 'length') return scalarConstant(vs[0]!.shape[0] ?? 1);
        if (x.callee === 'sum') return scalarConstant(vs[0]!.values.reduce((a, b) => a + b, 0));
        return `calls '${x.callee}', which defaults cannot use`;
      }
      default:
        return 'cannot be computed before inference';
    }
  };
  return go(e);
}

const BINARY: Record<string, ((a: number, b: number) => number) | undefined> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
  '<': (a, b) => +(a < b),
  '<=': (a, b) => +(a <= b),
  '>': (a, b) => +(a > b),
  '>=': (a, b) => +(a >= b),
  '==': (a, b) => +(a === b),
  '!=': (a, b) => +(a !== b),
  '&&': (a, b) => +(a !== 0 && b !== 0),
  '||': (a, b) => +(a !== 0 || b !== 0),
};

const UNARY: Record<string, ((a: number) => number) | undefined> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
  sigmoid: (a) => 1 / (1 + Math.exp(-a)),
};

function broadcast2(a: Constant, b: Constant, f: (x: number, y: number) => number): Constant | undefined {
  const n = Math.max(a.shape.length, b.shape.length);
  const sa = [...new Array(n - a.shape.length).fill(1), ...a.shape];
  const sb = [...new Array(n - b.shape.length).fill(1), ...b.shape];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (sa[i] === sb[i] || sb[i] === 1) out.push(sa[i]);
    else if (sa[i] === 1) out.push(sb[i]);
    else return undefined;
  }
  const total = out.reduce((p, d) => p * d, 1);
  const values: number[] = new Array(total);
  const at = (shape: number[], idx: number[]): number => idx.reduce((flat, x, i) => flat * shape[i]! + (shape[i] === 1 ? 0 : x), 0);
  for (let flat = 0; flat < total; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let i = n - 1; i >= 0; i--) {
      idx.unshift(r % out[i]!);
      r = Math.floor(r / out[i]!);
    }
    values[flat] = f(a.values[at(sa, idx)]!, b.values[at(sb, idx)]!);
  }
  return { ok: true, shape: out, values, bools: false };
}
