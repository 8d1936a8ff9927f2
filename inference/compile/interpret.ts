// The IR's reference semantics as a plain evaluator: each node computed from its
// arguments' values in float64, with the scalar helpers the JavaScript lowering's
// generated code calls, so the two agree to the last bit on elementwise work. The
// eager tensors (tensor/) run every op through it: a program built one op at a
// time is evaluated one op at a time, with no code generated per node.

import { HELPERS } from './lower-js.js';
import { sizeOf, type BinaryPrim, type Node, type UnaryPrim } from './ir.js';

const UNARY: Record<UnaryPrim, (a: number) => number> = {
  neg: (a) => -a,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: HELPERS.sigmoid,
  softplus: HELPERS.softplus,
  abs: Math.abs,
  // tfjs's Sign: 0 for NaN (and for −0), where Math.sign gives NaN.
  sign: (a) => (a > 0 ? 1 : a < 0 ? -1 : 0),
  floor: Math.floor,
  ceil: Math.ceil,
  round: HELPERS.round,
  trunc: Math.trunc,
  reciprocal: (a) => 1 / a,
  isfinite: (a) => (Number.isFinite(a) ? 1 : 0),
  isnan: (a) => (a !== a ? 1 : 0),
  not: (a) => (a !== 0 ? 0 : 1),
  erf: HELPERS.erf,
  atan: Math.atan,
};

const BINARY: Record<BinaryPrim, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

/**
 * The value of `n` given its arguments' values. Leaves (param, state, noise, input) have no
 * value of their own here: the caller supplies them; a const returns its own array.
 */
export function evalNode(n: Node, args: readonly Float64Array[]): Float64Array {
  const size = sizeOf(n.shape);
  switch (n.op) {
    case 'const':
      return n.value;
    case 'param':
    case 'state':
    case 'noise':
    case 'input':
      throw new Error(`internal: a ${n.op} node has no value of its own`);
    case 'stop':
      return args[0]!;
    case 'select': {
      const [c, a, b] = args as [Float64Array, Float64Array, Float64Array];
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[i] = (c.length === 1 ? c[0]! : c[i]!) !== 0 ? (a.length === 1 ? a[0]! : a[i]!) : b.length === 1 ? b[0]! : b[i]!;
      return out;
    }
    case 'gather': {
      const x = args[0]!;
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        const j = n.map[i]!;
        out[i] = j < 0 ? 0 : x[j]!;
      }
      return out;
    }
    case 'scatterAdd': {
      const x = args[0]!;
      const out = new Float64Array(size);
      for (let i = 0; i < n.map.length; i++) {
        const j = n.map[i]!;
        if (j >= 0) out[j] += x[i]!;
      }
      return out;
    }
    case 'segmentMax':
    case 'segmentMin': {
      const x = args[0]!;
      const out = new Float64Array(size).fill(n.op === 'segmentMax' ? -Infinity : Infinity);
      const max = n.op === 'segmentMax';
      for (let i = 0; i < n.map.length; i++) {
        const j = n.map[i]!;
        const v = x[i]!;
        if ((max ? v > out[j]! : v < out[j]!) || v !== v) out[j] = v;
      }
      return out;
    }
    case 'take':
    case 'put': {
      const [x, idx] = args as [Float64Array, Float64Array];
      const { outer, inner } = n;
      const B = idx.length;
      const out = new Float64Array(size);
      for (let p = 0; p < outer; p++)
        for (let j = 0; j < B; j++) {
          const r = idx[j]!;
          if (n.op === 'take') for (let q = 0; q < inner; q++) out[(p * B + j) * inner + q] = x[(p * n.n + r) * inner + q]!;
          else for (let q = 0; q < inner; q++) out[(p * n.n + r) * inner + q] += x[(p * B + j) * inner + q]!;
        }
      return out;
    }
    case 'matmul': {
      const [a, b] = args as [Float64Array, Float64Array];
      const { batch, m, k, n: nn, ta, tb } = n;
      const out = new Float64Array(size);
      // The same order of accumulation as the generated loops (lower-js.ts), so both give the same bits.
      for (let t = 0; t < batch; t++) {
        const ao = t * m * k;
        const bo = t * k * nn;
        const oo = t * m * nn;
        for (let i = 0; i < m; i++) {
          if (tb) {
            for (let j = 0; j < nn; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += a[ao + (ta ? p * m + i : i * k + p)]! * b[bo + j * k + p]!;
              out[oo + i * nn + j] = s;
            }
          } else {
            const r = oo + i * nn;
            for (let p = 0; p < k; p++) {
              const x = a[ao + (ta ? p * m + i : i * k + p)]!;
              const f = bo + p * nn;
              for (let j = 0; j < nn; j++) out[r + j] += x * b[f + j]!;
            }
          }
        }
      }
      return out;
    }
    default: {
      const u = UNARY[n.op as UnaryPrim];
      if (u) {
        const x = args[0]!;
        const out = new Float64Array(size);
        for (let i = 0; i < size; i++) out[i] = u(x.length === 1 ? x[0]! : x[i]!);
        return out;
      }
      const f = BINARY[n.op as BinaryPrim];
      if (!f) throw new Error(`internal: no evaluator for ${n.op}`);
      const [a, b] = args as [Float64Array, Float64Array];
      const out = new Float64Array(size);
      if (a.length === size && b.length === size) for (let i = 0; i < size; i++) out[i] = f(a[i]!, b[i]!);
      else for (let i = 0; i < size; i++) out[i] = f(a.length === 1 ? a[0]! : a[i]!, b.length === 1 ? b[0]! : b[i]!);
      return out;
    }
  }
}

/**
 * Evaluates nodes `from`… of `nodes` in order; `values` holds the earlier nodes' values (and the
 * leaves' among the new ones) and is filled in place.
 */
export function evaluate(nodes: readonly Node[], values: (Float64Array | undefined)[], from = 0): void {
  for (let i = from; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (values[i] !== undefined) continue;
    const args = 'args' in n ? n.args.map((a) => values[a]!) : [];
    values[i] = evalNode(n, args);
  }
}
