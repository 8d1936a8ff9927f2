// The IR's reference semantics as a plain evaluator: each node computed from its
// arguments' values in float64, with the scalar helpers the JavaScript lowering's
// generated code calls, so the two agree to the last bit on elementwise work. The
// eager tensors (tensor/) run every op through it: a program built one op at a
// time is evaluated one op at a time, with no code generated per node.

import { BINARY_JS, HELPERS, UNARY_JS } from './lower-js.js';
import { sizeOf, type Node } from './ir.js';

type Loop = (out: Float64Array, n: number, H: typeof HELPERS, ...args: Float64Array[]) => void;

/**
 * One loop per elementwise op and broadcast pattern ('a' an array argument, 's' a size-1 one),
 * generated once per process from the JavaScript lowering's expressions: a loop per op keeps
 * each call site monomorphic, where one loop calling a table of functions runs 10–30× slower.
 */
const loops = new Map<string, Loop>();

function loopFor(op: string, pattern: string): Loop {
  const key = `${op}:${pattern}`;
  let f = loops.get(key);
  if (!f) {
    const arg = (k: number) => (pattern[k] === 's' ? `s${k}` : `x${k}[i]`);
    const names = [...pattern].map((_, k) => `x${k}`);
    const scalars = [...pattern].map((c, k) => (c === 's' ? `const s${k} = x${k}[0];` : '')).join(' ');
    const expr = op === 'select' ? `(${arg(0)} !== 0 ? ${arg(1)} : ${arg(2)})` : op in UNARY_JS ? UNARY_JS[op]!(arg(0)) : BINARY_JS[op]!(arg(0), arg(1));
    f = new Function('out', 'n', 'H', ...names, `"use strict"; ${scalars} for (let i = 0; i < n; i++) out[i] = ${expr};`) as Loop;
    loops.set(key, f);
  }
  return f;
}

function elementwise(op: string, size: number, args: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(size);
  const pattern = args.map((a) => (a.length === 1 && size !== 1 ? 's' : 'a')).join('');
  loopFor(op, pattern)(out, size, HELPERS, ...args);
  return out;
}

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
    case 'select':
      return elementwise('select', size, args);
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
    default:
      if (!(n.op in UNARY_JS) && !(n.op in BINARY_JS)) throw new Error(`internal: no evaluator for ${n.op}`);
      return elementwise(n.op, size, args);
  }
}

/**
 * Evaluates nodes `from`… of `nodes` in order; `values` holds the earlier nodes' values (and the
 * leaves' among the new ones) and is filled in place.
 */
export function evaluate(
  nodes: readonly Node[],
  values: (Float64Array | undefined)[],
  from = 0,
  /** Another evaluator of some nodes (large products on tfjs's kernels); undefined leaves a node to this one. */
  other?: (n: Node, args: readonly Float64Array[]) => Float64Array | undefined,
): void {
  for (let i = from; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (values[i] !== undefined) continue;
    const args = 'args' in n ? n.args.map((a) => values[a]!) : [];
    values[i] = other?.(n, args) ?? evalNode(n, args);
  }
}
