// Lowering to tfjs: the same program lower-js.ts turns into loops, run as tfjs
// kernels over float32 tensors, for steps whose work is large matrix products
// (wasm's matmul beats generated loops there). The derivative is already in the
// program (grad.ts), so no tfjs tape is involved: `run` is a straight list of op
// calls the caller wraps in one tf.tidy.
//
// What depends only on constants is folded once, in float64, by lower-js.ts's
// own constant folding, and uploaded once; index maps are uploaded once too. A
// gather or scatter-add whose map is a broadcast, transpose, slice or sum over
// axes becomes that tfjs op (one cheap kernel) instead of an indexed copy: the
// trace writes every broadcast, transpose and reduction as a map, so these are
// most of a step's structural nodes. Two of wasm's kernels are avoided for speed
// (measured in bench/peers/RESULTS.md, session 7): Tile, for broadcasts, and
// BatchMatMul with a transposed operand.

import type * as TF from '@tensorflow/tfjs';
import { tfjs as tf } from '../tfjs.js';
import { argsOf, dynamicSet, liveSet, sizeOf, type Node, type Program } from './ir.js';
import { lowerJs } from './lower-js.js';

type T = TF.Tensor;

export interface LoweredTfjs {
  /**
   * Computes the outputs from the leaves (param, state, noise and input nodes by id, each a
   * float32 tensor of the node's size). Call inside a tf.tidy: every intermediate is the tidy's.
   */
  run(leaves: ReadonlyMap<number, T>): T[];
  /** Nodes the outputs need that are leaves (param, state, noise, input). */
  readonly leaves: readonly number[];
  /** Nodes computed per run (after constant folding and dead-code removal). */
  readonly liveNodes: number;
  /** Multiply–adds of the matrix products computed per run. */
  readonly matmulWork: number;
  /** How many structural nodes became a cheap op rather than an indexed gather/scatter, by kind. */
  readonly patterns: Record<string, number>;
  /** Frees the constants and index maps. */
  dispose(): void;
}

/** A reshape, or the tensor itself when it has the shape already (a reshape is a new tensor object: ~a third of a step's op calls). */
function rs(t: T, shape: readonly number[]): T {
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  return tf.reshape(t, shape as number[]);
}

const LEAF = new Set(['param', 'state', 'noise', 'input']);

/**
 * A map read as a function of a flat index: offset + Σ idx[d]·stride[d] over the row-major
 * multi-index of `dims` (innermost last), found by growing dimensions from the inside. Undefined
 * when the map is not of that form (or has padding).
 */
export function affine(map: Int32Array): { offset: number; dims: number[]; strides: number[] } | undefined {
  const n = map.length;
  if (n === 0 || map.some((v) => v < 0)) return undefined;
  const dims: number[] = [];
  const strides: number[] = [];
  let block = 1;
  while (block < n) {
    const stride = map[block]! - map[0]!;
    let len = 1;
    // How many blocks repeat at that stride before the pattern breaks.
    while ((len + 1) * block <= n && map[len * block]! - map[0]! === len * stride) len++;
    if (n % (block * len) !== 0 || len === 1) return undefined;
    dims.unshift(len);
    strides.unshift(stride);
    block *= len;
  }
  const offset = map[0]!;
  // Check every entry: the growth above looked only at each block's first entry.
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let v = offset;
    for (let d = 0; d < dims.length; d++) v += idx[d]! * strides[d]!;
    if (map[i] !== v) return undefined;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d]! < dims[d]!) break;
      idx[d] = 0;
    }
  }
  return { offset, dims, strides };
}

/**
 * The nonzero-stride dimensions as a box inside a row-major array of `total` entries: the
 * array's view as nested blocks (sizes from the strides), where the box starts in each, and the
 * permutation from the box's stride order (outermost first) to the map's dimension order.
 * Undefined when the strides do not nest (a strided slice) or the box does not fit.
 */
function box(total: number, offset: number, dims: readonly number[], strides: readonly number[]): { view: number[]; begin: number[]; size: number[]; perm: number[] } | undefined {
  const kept = dims.map((_, d) => d).filter((d) => strides[d] !== 0);
  const order = [...kept].sort((a, b) => strides[b]! - strides[a]!);
  if (order.length === 0) return offset < total ? { view: [total], begin: [offset], size: [1], perm: [0] } : undefined;
  if (strides[order.at(-1)!] !== 1) return undefined;
  const view: number[] = [];
  let outer = total;
  for (const d of order) {
    const s = strides[d]!;
    if (s <= 0 || outer % s !== 0) return undefined;
    view.push(outer / s);
    outer = s;
  }
  // view[k] is how many blocks of stride order[k] fit in one block of the stride before it.
  const begin: number[] = [];
  let rest = offset;
  for (const d of order) {
    begin.push(Math.floor(rest / strides[d]!));
    rest %= strides[d]!;
  }
  const size = order.map((d) => dims[d]!);
  if (begin.some((b, k) => b + size[k]! > view[k]!)) return undefined;
  // perm[j]: which box axis (in stride order) is the map's j-th kept dimension.
  const perm = kept.map((d) => order.indexOf(d));
  return { view, begin, size, perm };
}

const isIdentityPerm = (p: readonly number[]) => p.every((v, i) => v === i);

export function lowerTfjs(p: Program, outputs: readonly number[]): LoweredTfjs {
  const live = liveSet(p, outputs);
  const dyn = dynamicSet(p.nodes);
  // Constant nodes a dynamic node reads (or an output that is constant): folded in float64 once.
  const needed = new Set<number>();
  p.nodes.forEach((n, i) => {
    if (!live[i]) return;
    if (dyn[i]) for (const a of argsOf(n)) if (!dyn[a]) needed.add(a);
  });
  for (const o of outputs) if (!dyn[o]) needed.add(o);
  const consts = new Map<number, T>();
  const kept: T[] = [];
  if (needed.size) {
    const folded = lowerJs(p, [...needed]);
    for (const i of needed) {
      const t = tf.tensor(Float32Array.from(folded.buffers[i]!), p.nodes[i]!.shape, 'float32');
      consts.set(i, t);
      kept.push(t);
    }
  }
  const int = (values: ArrayLike<number>, shape: number[]) => {
    const t = tf.tensor(Int32Array.from(values), shape, 'int32');
    kept.push(t);
    return t;
  };
  const shapeOf = (id: number) => p.nodes[id]!.shape;
  const zeroTensors = new Map<string, T>();
  const zeros = (shape: number[]) => {
    const key = shape.join(',');
    let z = zeroTensors.get(key);
    if (!z) {
      // Made on first use, maybe inside a run's tidy: kept until dispose.
      z = tf.keep(tf.zeros(shape));
      kept.push(z);
      zeroTensors.set(key, z);
    }
    return z;
  };
  const patterns: Record<string, number> = {};
  const count = (k: string) => (patterns[k] = (patterns[k] ?? 0) + 1);

  /** One node's computation from its arguments' tensors (each in its node's shape). */
  type Op = (x: T[]) => T;
  const ops: (Op | undefined)[] = new Array(p.nodes.length);
  const asShape = (t: T, shape: number[]) => (t.size === 1 && sizeOf(shape) !== 1 ? (t.rank === 0 ? t : rs(t, [])) : t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : rs(t, shape));
  const f32 = (b: T) => tf.cast(b, 'float32');
  const truthy = (t: T) => tf.notEqual(t, 0);

  const unary: Record<string, (x: T) => T> = {
    neg: tf.neg, exp: tf.exp, log: tf.log, log1p: tf.log1p, expm1: tf.expm1, sqrt: tf.sqrt, sin: tf.sin, cos: tf.cos,
    tanh: tf.tanh, sigmoid: tf.sigmoid, softplus: tf.softplus, abs: tf.abs, sign: tf.sign, floor: tf.floor, ceil: tf.ceil,
    round: tf.round, reciprocal: tf.reciprocal, erf: tf.erf, atan: tf.atan,
    trunc: (x) => tf.mul(tf.sign(x), tf.floor(tf.abs(x))),
    isfinite: (x) => f32(tf.isFinite(x)),
    isnan: (x) => f32(tf.isNaN(x)),
    not: (x) => f32(tf.equal(x, 0)),
  };
  const binary: Record<string, (a: T, b: T) => T> = {
    add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, pow: tf.pow, max: tf.maximum, min: tf.minimum,
    gt: (a, b) => f32(tf.greater(a, b)), ge: (a, b) => f32(tf.greaterEqual(a, b)), lt: (a, b) => f32(tf.less(a, b)),
    le: (a, b) => f32(tf.lessEqual(a, b)), eq: (a, b) => f32(tf.equal(a, b)), ne: (a, b) => f32(tf.notEqual(a, b)),
    and: (a, b) => f32(tf.logicalAnd(truthy(a), truthy(b))), or: (a, b) => f32(tf.logicalOr(truthy(a), truthy(b))),
  };

  /** out[i] = x[map[i]] (0 where map[i] < 0): a view op when the map is one, else GatherV2 on the flat input. */
  const gatherOp = (n: Extract<Node, { op: 'gather' }>): Op => {
    const total = sizeOf(shapeOf(n.args[0]));
    const out = n.shape;
    const a = affine(n.map);
    const b = a && box(total, a.offset, a.dims, a.strides);
    if (a && b) {
      const { dims, strides } = a;
      const whole = b.begin.every((v) => v === 0) && b.size.every((v, k) => v === b.view[k]);
      const transposed = !isIdentityPerm(b.perm);
      const broadcast = strides.some((s) => s === 0);
      count(!whole ? 'slice' : transposed ? 'transpose' : broadcast ? 'broadcast' : 'reshape');
      // The kept dimensions in the map's order, with the broadcast ones as 1s.
      const zero = broadcast ? zeros(dims) : undefined;
      const withOnes = dims.map((d, k) => (strides[k] === 0 ? 1 : d));
      return ([x]) => {
        let t = rs(x!, b.view);
        if (!whole) t = tf.slice(t, b.begin, b.size);
        // Box axes are in stride order; the map lists its dimensions in its own order.
        if (transposed) t = tf.transpose(t, b.perm);
        t = rs(t, withOnes);
        // wasm's Tile (tf.broadcastTo) is 10–40× slower than adding a zero tensor of the output's
        // shape with broadcasting (1.3 ms against 0.1 ms for [24, 1] → [24, 784]). x + 0 is x but for
        // the sign of a zero, as simplify.ts already allows.
        if (broadcast) t = tf.add(t, zero!);
        return rs(t, out);
      };
    }
    count('gather');
    const pad = n.map.some((v) => v < 0);
    const idx = int(pad ? Array.from(n.map, (v) => (v < 0 ? total : v)) : n.map, [n.map.length]);
    const zero = pad ? zeros([1]) : undefined;
    return ([x]) => {
      let flat = rs(x!, [total]);
      // map < 0 reads a zero appended to the input.
      if (zero) flat = tf.concat([flat, zero]);
      return rs(tf.gather(flat, idx), out);
    };
  };

  /** out[map[i]] += x[i]: a sum over axes (then a transpose) when the map is one, else ScatterNd (wasm has no UnsortedSegmentSum). */
  const scatterOp = (n: Extract<Node, { op: 'scatterAdd' }>): Op => {
    const size = sizeOf(n.shape);
    const out = n.shape;
    const a = affine(n.map);
    const b = a && box(size, a.offset, a.dims, a.strides);
    if (a && b) {
      const { dims, strides } = a;
      const axes = dims.map((_, d) => d).filter((d) => strides[d] === 0);
      // After the sum the kept axes are in the map's order; the output wants them in stride order.
      const inverse = b.perm.map((_, k) => b.perm.indexOf(k));
      const transposed = !isIdentityPerm(inverse);
      // A box inside the output (a gradient placed into the flat parameter vector): zeros around it.
      const whole = b.begin.every((v) => v === 0) && b.size.every((v, k) => v === b.view[k]);
      const padding = b.begin.map((v, k) => [v, b.view[k]! - v - b.size[k]!] as [number, number]);
      count(!whole ? 'pad' : axes.length ? 'sum' : transposed ? 'transpose' : 'reshape');
      return ([x]) => {
        let t = rs(x!, dims);
        if (axes.length) t = tf.sum(t, axes);
        if (transposed) t = tf.transpose(t, inverse);
        if (!whole) t = tf.pad(rs(t, b.size), padding);
        return rs(t, out);
      };
    }
    count('scatter');
    const keep: number[] = [];
    n.map.forEach((v, i) => {
      if (v >= 0) keep.push(i);
    });
    const all = keep.length === n.map.length;
    const which = all ? undefined : int(keep, [keep.length]);
    const idx = int(keep.map((i) => n.map[i]!), [keep.length, 1]);
    const len = n.map.length;
    return ([x]) => {
      let flat = rs(x!, [len]);
      if (which) flat = tf.gather(flat, which);
      return rs(tf.scatterND(idx, flat, [size]), out);
    };
  };

  /** Max (min) per segment: a reduction over axes when the map is one, else a gather into a padded [segments, most] table. */
  const segmentOp = (n: Extract<Node, { op: 'segmentMax' | 'segmentMin' }>): Op => {
    const size = sizeOf(n.shape);
    const out = n.shape;
    const reduce = n.op === 'segmentMax' ? tf.max : tf.min;
    const a = affine(n.map);
    const b = a && box(size, a.offset, a.dims, a.strides);
    if (a && b && b.begin.every((v) => v === 0) && b.size.every((v, k) => v === b.view[k]) && a.strides.some((s) => s === 0)) {
      const { dims, strides } = a;
      const axes = dims.map((_, d) => d).filter((d) => strides[d] === 0);
      const inverse = b.perm.map((_, k) => b.perm.indexOf(k));
      count('reduce');
      return ([x]) => {
        let t = reduce(rs(x!, dims), axes);
        if (!isIdentityPerm(inverse)) t = tf.transpose(t, inverse);
        return rs(t, out);
      };
    }
    count('segment');
    const members: number[][] = Array.from({ length: size }, () => []);
    n.map.forEach((j, i) => {
      if (j >= 0) members[j]!.push(i);
    });
    const most = Math.max(1, ...members.map((m) => m.length));
    const len = n.map.length;
    // Empty slots read an appended −∞ (+∞ for min): an empty segment comes out as the identity, as in lower-js.
    const table = int(members.flatMap((m) => [...m, ...new Array<number>(most - m.length).fill(len)]), [size * most]);
    const fill = tf.keep(tf.fill([1], n.op === 'segmentMax' ? -Infinity : Infinity));
    kept.push(fill);
    return ([x]) => {
      const flat = tf.concat([rs(x!, [len]), fill]);
      return rs(reduce(rs(tf.gather(flat, table), [size, most]), 1), out);
    };
  };

  // Reverse mode writes the gradient of a flat parameter vector cut into blocks as a sum of
  // scatter-adds, each placing one block's gradient at its offset: as pads and adds, every block
  // would cost a vector of the whole size twice (11 pads of 318 k floats a step for the belief
  // net). A sum of such placements into disjoint ranges, used nowhere else, is one concatenation.
  const uses = new Array<number>(p.nodes.length).fill(0);
  p.nodes.forEach((n, i) => {
    if (live[i] && dyn[i]) for (const a of argsOf(n)) uses[a]!++;
  });
  for (const o of outputs) uses[o]!++;
  const placement = (i: number) => {
    const n = p.nodes[i]!;
    if (n.op !== 'scatterAdd' || !dyn[i] || uses[i] !== 1) return undefined;
    const m = n.map;
    if (m.length === 0 || m[0]! < 0 || !m.every((v, j) => v === m[0]! + j)) return undefined;
    return { from: n.args[0], offset: m[0]!, len: m.length };
  };
  const absorbed = new Set<number>();
  const customArgs = new Map<number, number[]>();
  for (let r = p.nodes.length - 1; r >= 0; r--) {
    const root = p.nodes[r]!;
    if (!live[r] || !dyn[r] || absorbed.has(r) || root.op !== 'add') continue;
    const size = sizeOf(root.shape);
    const pieces: { from: number; offset: number; len: number }[] = [];
    const inner: number[] = [];
    const walk = (i: number, top: boolean): boolean => {
      const n = p.nodes[i]!;
      if (n.op === 'add' && (top || (uses[i] === 1 && dyn[i])) && sizeOf(n.shape) === size) {
        if (!top) inner.push(i);
        return walk(n.args[0], false) && walk(n.args[1], false);
      }
      const at = placement(i);
      if (!at || sizeOf(n.shape) !== size) return false;
      inner.push(i);
      pieces.push(at);
      return true;
    };
    if (!walk(r, true) || pieces.length < 2) continue;
    pieces.sort((a, b) => a.offset - b.offset);
    if (pieces.some((q, k) => k > 0 && pieces[k - 1]!.offset + pieces[k - 1]!.len > q.offset) || pieces.at(-1)!.offset + pieces.at(-1)!.len > size) continue;
    for (const i of inner) absorbed.add(i);
    // The pieces in order with zeros in the gaps, each gap a constant made once.
    const parts: (number | T)[] = [];
    let at = 0;
    for (const q of pieces) {
      if (q.offset > at) parts.push(zeros([q.offset - at]));
      parts.push(q.from);
      at = q.offset + q.len;
    }
    if (at < size) parts.push(zeros([size - at]));
    const ids = pieces.map((q) => q.from);
    customArgs.set(r, ids);
    count('concatenation');
    ops[r] = (xs) => {
      let k = 0;
      return rs(tf.concat(parts.map((q) => (typeof q === 'number' ? rs(xs[k++]!, [sizeOf(p.nodes[q]!.shape)]) : q))), root.shape);
    };
  }

  let matmulWork = 0;
  let liveNodes = 0;
  const leaves: number[] = [];
  p.nodes.forEach((n, i) => {
    if (!live[i] || !dyn[i]) return;
    if (LEAF.has(n.op)) {
      leaves.push(i);
      return;
    }
    if (absorbed.has(i) || customArgs.has(i)) {
      if (customArgs.has(i)) liveNodes++;
      return;
    }
    liveNodes++;
    const shape = n.shape;
    switch (n.op) {
      case 'gather':
        ops[i] = gatherOp(n);
        return;
      case 'scatterAdd':
        ops[i] = scatterOp(n);
        return;
      case 'segmentMax':
      case 'segmentMin':
        ops[i] = segmentOp(n);
        return;
      case 'stop':
        ops[i] = ([x]) => x!;
        return;
      case 'select':
        ops[i] = ([c, x, y]) => {
          // Where needs its branches at the output's shape; a size-1 one is broadcast.
          const full = (t: T) => (t.size === 1 && sizeOf(shape) !== 1 ? tf.add(rs(t, []), zeros(shape)) : asShape(t, shape));
          return tf.where(truthy(full(c!)), full(x!), full(y!));
        };
        return;
      case 'take': {
        const { outer, n: rows, inner } = n;
        const B = sizeOf(shapeOf(n.args[1]));
        ops[i] = ([x, idx]) => rs(tf.gather(rs(x!, [outer, rows, inner]), tf.cast(rs(idx!, [B]), 'int32'), 1), shape);
        return;
      }
      case 'put': {
        const { outer, n: rows, inner } = n;
        const B = sizeOf(shapeOf(n.args[1]));
        ops[i] = ([g, idx]) => {
          // Rows j of g go to rows idx[j]: rows leading for ScatterNd, then back.
          const at = rs(tf.cast(rs(idx!, [B]), 'int32'), [B, 1]);
          if (outer === 1) return rs(tf.scatterND(at, rs(g!, [B, inner]), [rows, inner]), shape);
          const lead = tf.transpose(rs(g!, [outer, B, inner]), [1, 0, 2]);
          return rs(tf.transpose(tf.scatterND(at, lead, [rows, outer, inner]), [1, 0, 2]), shape);
        };
        return;
      }
      case 'matmul': {
        const { batch, m, k, n: nn, ta, tb } = n;
        matmulWork += batch * m * k * nn;
        // One product: matrices, so that operands already of that shape need no reshape.
        const lead = batch === 1 ? [] : [batch];
        const sa = [...lead, ...(ta ? [k, m] : [m, k])];
        const sb = [...lead, ...(tb ? [nn, k] : [k, nn])];
        // wasm's BatchMatMul is 5–10× slower with a transposed operand than without (3 ms against
        // 0.3 ms for the belief net's [24, 784]·[784, 200]): transpose explicitly instead, either the
        // operands as stored or, computing Cᵀ = op(B)ᵀ·op(A)ᵀ, the other operands and the result —
        // whichever moves fewer values (the big weight matrix then never moves).
        const direct = (ta ? batch * m * k : 0) + (tb ? batch * k * nn : 0);
        const swapped = (ta ? 0 : batch * m * k) + (tb ? 0 : batch * k * nn) + batch * m * nn;
        const t2 = (t: T) => tf.transpose(t, batch === 1 ? [1, 0] : [0, 2, 1]);
        if (direct === 0) ops[i] = ([x, y]) => rs(tf.matMul(rs(x!, sa), rs(y!, sb)), shape);
        else if (direct <= swapped) {
          ops[i] = ([x, y]) => {
            const a = rs(x!, sa);
            const b = rs(y!, sb);
            return rs(tf.matMul(ta ? t2(a) : a, tb ? t2(b) : b), shape);
          };
        } else {
          ops[i] = ([x, y]) => {
            const a = rs(x!, sa);
            const b = rs(y!, sb);
            // op(B)ᵀ is B as stored when tb, op(A)ᵀ is A as stored when ta.
            return rs(t2(tf.matMul(tb ? b : t2(b), ta ? a : t2(a))), shape);
          };
        }
        count(direct === 0 ? 'matmul' : direct <= swapped ? 'matmul, operands transposed' : 'matmul, result transposed');
        return;
      }
      default:
        if (n.op in unary) {
          const f = unary[n.op]!;
          ops[i] = ([x]) => f(asShape(x!, shape));
          return;
        }
        if (n.op in binary) {
          const f = binary[n.op]!;
          ops[i] = ([x, y]) => {
            const r = f(asShape(x!, shape), asShape(y!, shape));
            // Two size-1 arguments of a larger output (rare): the result must still have the output's size.
            return r.size === sizeOf(shape) ? r : tf.add(rs(r, []), zeros(shape));
          };
          return;
        }
        throw new Error(`internal: no tfjs lowering for ${n.op}`);
    }
  });
  // Unary ops of a size-1 argument with a larger output do not occur: unary keeps its argument's shape.

  const order = p.nodes.map((_, i) => i).filter((i) => live[i] && dyn[i] && !LEAF.has(p.nodes[i]!.op) && !absorbed.has(i));
  const argLists = order.map((i) => customArgs.get(i) ?? argsOf(p.nodes[i]!));

  return {
    leaves,
    liveNodes,
    matmulWork,
    patterns,
    run(given) {
      const v: (T | undefined)[] = new Array(p.nodes.length);
      for (const [k, t] of consts) v[k] = t;
      for (const l of leaves) {
        const t = given.get(l);
        if (!t) throw new Error(`internal: no tensor given for ${p.nodes[l]!.op} node ${l}`);
        v[l] = t;
      }
      for (let j = 0; j < order.length; j++) {
        const i = order[j]!;
        v[i] = ops[i]!(argLists[j]!.map((a) => v[a]!));
      }
      return outputs.map((o) => v[o]!);
    },
    dispose() {
      for (const t of kept) t.dispose();
      kept.length = 0;
    },
  };
}
