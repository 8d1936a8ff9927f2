// Lowering to JavaScript: a program becomes two generated functions over
// Float64Array buffers allocated once — `init` computes every node that depends
// only on constants (constant folding, in float64), `run` computes the rest —
// so a step allocates nothing. The source is built from the IR alone: buffer
// names are `b<id>`, index maps `m<k>`, sizes and strides integer literals;
// constants' values live in buffers, never in the text. No model text (a name,
// a number the user wrote) can reach the generated source.

import { argsOf, dynamicSet, liveSet, sizeOf, type Node, type Program } from './ir.js';

export interface LoweredJs {
  /** One buffer per node (nodes that alias another share its buffer); undefined for dead nodes. */
  readonly buffers: (Float64Array | undefined)[];
  /** Recompute every node that depends on a param or noise node. */
  readonly run: () => void;
  /** The generated source of `run`, for inspection and for the test that no model text reaches it. */
  readonly source: string;
  /** Nodes computed per run (after constant folding and dead-code removal). */
  readonly liveNodes: number;
  /** Scalar operations per run (elements computed, multiply–adds of products): a deterministic cost. */
  readonly work: number;
}

/** Scalar helpers the generated code calls (and the interpreter, interpret.ts); small enough for V8 to inline. */
export const HELPERS = {
  sigmoid: (x: number) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  /** Round half to even, as tfjs's Round does. */
  round: (x: number) => {
    const f = Math.floor(x);
    const d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  },
  /** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), the formula tfjs's kernels use. */
  erf: (x: number) => {
    const s = x < 0 ? -1 : 1;
    const a = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * a);
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
    return s * y;
  },
};

/** Each elementwise op as a JavaScript expression of its arguments' expressions (also the interpreter's loops, interpret.ts). */
export const UNARY_JS: Record<string, (a: string) => string> = {
  neg: (a) => `-${a}`,
  exp: (a) => `Math.exp(${a})`,
  log: (a) => `Math.log(${a})`,
  log1p: (a) => `Math.log1p(${a})`,
  expm1: (a) => `Math.expm1(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  sigmoid: (a) => `H.sigmoid(${a})`,
  softplus: (a) => `H.softplus(${a})`,
  abs: (a) => `Math.abs(${a})`,
  // tfjs's Sign: 0 for NaN (and for −0), where Math.sign gives NaN.
  sign: (a) => `(${a} > 0 ? 1 : ${a} < 0 ? -1 : 0)`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  trunc: (a) => `Math.trunc(${a})`,
  round: (a) => `H.round(${a})`,
  reciprocal: (a) => `1 / ${a}`,
  isfinite: (a) => `(Number.isFinite(${a}) ? 1 : 0)`,
  isnan: (a) => `(${a} !== ${a} ? 1 : 0)`,
  not: (a) => `(${a} !== 0 ? 0 : 1)`,
  erf: (a) => `H.erf(${a})`,
  atan: (a) => `Math.atan(${a})`,
};

export const BINARY_JS: Record<string, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  max: (a, b) => `Math.max(${a}, ${b})`,
  min: (a, b) => `Math.min(${a}, ${b})`,
  gt: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  ge: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  lt: (a, b) => `(${a} < ${b} ? 1 : 0)`,
  le: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
  eq: (a, b) => `(${a} === ${b} ? 1 : 0)`,
  ne: (a, b) => `(${a} !== ${b} ? 1 : 0)`,
  and: (a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`,
  or: (a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`,
};

/** Statements per generated function. */
const CHUNK = 24;

const isIdentity = (map: Int32Array) => map.every((v, i) => v === i);
const contiguous = (map: Int32Array) => map.length > 0 && map[0]! >= 0 && map.every((v, i) => v === map[0]! + i);

export function lowerJs(p: Program, outputs: readonly number[]): LoweredJs {
  const live = liveSet(p, outputs);
  const dyn = dynamicSet(p.nodes);
  const buffers: (Float64Array | undefined)[] = new Array(p.nodes.length);
  /** Which node's buffer each node uses (itself, or the node it aliases). */
  const home: number[] = p.nodes.map((_, i) => i);
  const maps: Int32Array[] = [];
  const mapName = (m: Int32Array) => {
    maps.push(m);
    return `M[${maps.length - 1}]`;
  };

  /** Gathers that read a contiguous run of their input: a view on its buffer, no copy. */
  const views = new Set<number>();
  p.nodes.forEach((n, i) => {
    if (!live[i]) return;
    if (n.op === 'const') buffers[i] = n.value;
    else if (n.op === 'stop' || (n.op === 'gather' && n.map.length === sizeOf(p.nodes[n.args[0]]!.shape) && isIdentity(n.map))) {
      home[i] = home[n.args[0]]!;
      buffers[i] = buffers[home[i]!];
    } else if (n.op === 'gather' && contiguous(n.map)) {
      const from = buffers[home[n.args[0]]!]!;
      buffers[i] = from.subarray(n.map[0]!, n.map[0]! + n.map.length);
      views.add(i);
    } else buffers[i] = new Float64Array(sizeOf(n.shape));
  });

  // Who reads each buffer: an elementwise result read only inside its own fused loop needs no store.
  const readers: number[][] = p.nodes.map(() => []);
  p.nodes.forEach((n, j) => {
    if (!live[j] || home[j] !== j) return;
    for (const a of argsOf(n)) readers[home[a]!]!.push(j);
  });
  const kept = new Set(outputs.map((o) => home[o]!));

  const ref = (id: number) => `b${home[id]}`;
  const elementwise = (op: string) => op in UNARY_JS || op in BINARY_JS || op === 'select';

  /** One elementwise node as an expression, its arguments read from `val`. */
  const expression = (n: Node, val: (a: number) => string): string => {
    const args = argsOf(n);
    if (n.op in UNARY_JS) return UNARY_JS[n.op]!(val(args[0]!));
    if (n.op in BINARY_JS) return BINARY_JS[n.op]!(val(args[0]!), val(args[1]!));
    return `(${val(args[0]!)} !== 0 ? ${val(args[1]!)} : ${val(args[2]!)})`;
  };

  const emit = (i: number): string => {
    const n = p.nodes[i]!;
    if (home[i] !== i || views.has(i) || n.op === 'const' || n.op === 'param' || n.op === 'noise' || n.op === 'state' || n.op === 'input') return '';
    const o = ref(i);
    const size = sizeOf(n.shape);
    switch (n.op) {
      case 'gather': {
        const x = ref(n.args[0]);
        const m = mapName(n.map);
        if (n.map.every((v) => v >= 0)) return `{ const m = ${m}; for (let i = 0; i < ${size}; i++) ${o}[i] = ${x}[m[i]]; }`;
        return `{ const m = ${m}; for (let i = 0; i < ${size}; i++) { const j = m[i]; ${o}[i] = j < 0 ? 0 : ${x}[j]; } }`;
      }
      case 'scatterAdd': {
        const x = ref(n.args[0]);
        const len = n.map.length;
        if (size === 1 && n.map.every((v) => v === 0)) return `{ let s = 0; for (let i = 0; i < ${len}; i++) s += ${x}[i]; ${o}[0] = s; }`;
        const m = mapName(n.map);
        return `{ const m = ${m}; ${o}.fill(0); for (let i = 0; i < ${len}; i++) { const j = m[i]; if (j >= 0) ${o}[j] += ${x}[i]; } }`;
      }
      case 'segmentMax':
      case 'segmentMin': {
        const x = ref(n.args[0]);
        const m = mapName(n.map);
        const cmp = n.op === 'segmentMax' ? '>' : '<';
        return `{ const m = ${m}; ${o}.fill(${n.op === 'segmentMax' ? '-Infinity' : 'Infinity'}); for (let i = 0; i < ${n.map.length}; i++) { const j = m[i], v = ${x}[i]; if (v ${cmp} ${o}[j] || v !== v) ${o}[j] = v; } }`;
      }
      case 'take':
      case 'put': {
        const [x, idx] = n.args.map(ref) as [string, string];
        const { outer, inner } = n;
        const B = sizeOf(p.nodes[n.args[1]]!.shape);
        // take reads row idx[j] of x into row j; put adds row j of its argument into row idx[j].
        const [from, to] = n.op === 'take' ? [`(p * ${n.n} + r) * ${inner}`, `(p * ${B} + j) * ${inner}`] : [`(p * ${B} + j) * ${inner}`, `(p * ${n.n} + r) * ${inner}`];
        const body = n.op === 'take' ? `${o}[t + q] = ${x}[f + q];` : `${o}[t + q] += ${x}[f + q];`;
        return `{ ${n.op === 'put' ? `${o}.fill(0); ` : ''}for (let p = 0; p < ${outer}; p++) for (let j = 0; j < ${B}; j++) { const r = ${idx}[j], f = ${from}, t = ${to}; for (let q = 0; q < ${inner}; q++) ${body} } }`;
      }
      case 'matmul': {
        const [a, b] = n.args.map(ref) as [string, string];
        const { batch, m, k, n: nn, ta, tb } = n;
        // Degenerate shapes (a surrogate network's layers at one particle): an outer or an inner product,
        // with the same arithmetic in the same order as the general loops.
        if (batch === 1 && k === 1) return `for (let i = 0; i < ${m}; i++) { const x = ${a}[i], r = i * ${nn}; for (let j = 0; j < ${nn}; j++) ${o}[r + j] = x * ${b}[j]; }`;
        if (batch === 1 && m === 1 && nn === 1) return `{ let s = 0; for (let p = 0; p < ${k}; p++) s += ${a}[p] * ${b}[p]; ${o}[0] = s; }`;
        const ai = ta ? `p * ${m} + i` : `i * ${k} + p`;
        if (tb) {
          // b stored transposed: row i of a and row j of bᵀ are both contiguous, a dot product each.
          return `for (let t = 0; t < ${batch}; t++) { const ao = t * ${m * k}, bo = t * ${k * nn}, oo = t * ${m * nn}; for (let i = 0; i < ${m}; i++) for (let j = 0; j < ${nn}; j++) { let s = 0; for (let p = 0; p < ${k}; p++) s += ${a}[ao + ${ai}] * ${b}[bo + j * ${k} + p]; ${o}[oo + i * ${nn} + j] = s; } }`;
        }
        // b in rows: row i of the output accumulates a[i, p] times row p of b, every access in order.
        return `for (let t = 0; t < ${batch}; t++) { const ao = t * ${m * k}, bo = t * ${k * nn}, oo = t * ${m * nn}; for (let i = 0; i < ${m}; i++) { const r = oo + i * ${nn}; for (let j = 0; j < ${nn}; j++) ${o}[r + j] = 0; for (let p = 0; p < ${k}; p++) { const x = ${a}[ao + ${ai}]; const f = bo + p * ${nn}; for (let j = 0; j < ${nn}; j++) ${o}[r + j] += x * ${b}[f + j]; } } }`;
      }
      default:
        throw new Error(`internal: no JavaScript lowering for ${n.op}`);
    }
  };

  /**
   * Statements in program order, with runs of elementwise nodes of one size fused into one loop:
   * inside it each value is a local, stored to its buffer only when something outside the loop reads it.
   */
  const schedule = (ids: number[]): string[] => {
    const lines: string[] = [];
    let group: number[] = [];
    let groupSize = -1;
    const flush = () => {
      if (!group.length) return;
      const members = new Set(group);
      const val = (a: number) => (members.has(home[a]!) ? `t${home[a]}` : sizeOf(p.nodes[a]!.shape) === 1 ? `${ref(a)}[0]` : `${ref(a)}[i]`);
      const body = group.map((g) => {
        const store = kept.has(g) || readers[g]!.some((r) => !members.has(r)) ? ` ${ref(g)}[i] = t${g};` : '';
        return `const t${g} = ${expression(p.nodes[g]!, val)};${store}`;
      });
      lines.push(groupSize === 1 ? `{ const i = 0; ${body.join(' ')} }` : `for (let i = 0; i < ${groupSize}; i++) { ${body.join(' ')} }`);
      group = [];
    };
    for (const i of ids) {
      const n = p.nodes[i]!;
      if (home[i] === i && elementwise(n.op)) {
        const size = sizeOf(n.shape);
        if (size !== groupSize) flush();
        groupSize = size;
        group.push(i);
        continue;
      }
      // A view reads its parent's buffer at other indices than the loop's: the parent must be stored first.
      if (views.has(i) && group.includes(home[argsOf(n)[0]!]!)) flush();
      const line = emit(i);
      if (!line) continue;
      flush();
      lines.push(line);
    }
    flush();
    return lines;
  };

  const liveIds = p.nodes.map((_, i) => i).filter((i) => live[i]);
  const initLines = schedule(liveIds.filter((i) => !dyn[i]));
  const runLines = schedule(liveIds.filter((i) => dyn[i]));
  const liveNodes = liveIds.filter((i) => dyn[i] && home[i] === i && !views.has(i) && !['param', 'noise', 'state', 'input'].includes(p.nodes[i]!.op)).length;
  const used = [...new Set(home.filter((h, i) => live[i] && buffers[h]))];
  const header = `"use strict";\nconst ${used.map((h) => `b${h} = B[${h}]`).join(', ') || '_ = 0'};`;
  // V8 optimises only functions of bounded bytecode size: a large step runs as a sequence of small
  // functions, each of which gets optimised on its own.
  const chunks: string[] = [];
  for (let i = 0; i < runLines.length; i += CHUNK) chunks.push(`function c${chunks.length}() {\n${runLines.slice(i, i + CHUNK).join('\n')}\n}`);
  const source = `${header}\n${chunks.join('\n')}\nreturn function run() {\n${chunks.map((_, k) => `c${k}();`).join(' ')}\n};`;
  const initSource = `${header}\n${initLines.join('\n')}`;
  // Scalar operations per run: each computed node's elements (a product's multiply–adds, a
  // scatter's index map). A count, not a timing, so what it decides is the same on every run.
  const nodeWork = (n: (typeof p.nodes)[number]) => (n.op === 'matmul' ? n.batch * n.m * n.n * n.k : n.op === 'scatterAdd' || n.op === 'segmentMax' || n.op === 'segmentMin' ? n.map.length : sizeOf(n.shape));
  let work = 0;
  p.nodes.forEach((n, i) => {
    if (live[i] && dyn[i] && home[i] === i && !views.has(i)) work += nodeWork(n);
  });
  if ((globalThis as { process?: { env?: Record<string, string> } }).process?.env?.['TILDE_IR_STATS']) {
    const byOp = new Map<string, { n: number; work: number }>();
    p.nodes.forEach((n, i) => {
      if (!live[i] || !dyn[i] || home[i] !== i) return;
      const w = nodeWork(n);
      const e = byOp.get(n.op) ?? { n: 0, work: 0 };
      e.n++;
      e.work += w;
      byOp.set(n.op, e);
    });
    console.error([...byOp].sort((a, b) => b[1].work - a[1].work).map(([k, v]) => `${k} ${v.n} nodes ${v.work} elements`).join('\n'));
  }
  const factory = new Function('B', 'M', 'H', source) as (B: unknown, M: unknown, H: unknown) => () => void;
  new Function('B', 'M', 'H', initSource)(buffers, maps, HELPERS);
  return { buffers, run: factory(buffers, maps, HELPERS), source, liveNodes, work };
}
