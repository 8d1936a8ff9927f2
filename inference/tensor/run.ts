// Every op on eager tensors runs here, as the tfjs kernel it stands for: the
// kernel's IR (from-tfjs.ts's table) is built over its arguments and evaluated
// (interpret.ts). Outside a trace the arguments are constants and the nodes are
// thrown away with the values kept; inside one (Recording), an op with a traced
// argument leaves its nodes in the trace's program, so running the model once
// records its step. One table gives both the eager semantics and the IR.

import { convertKernel, NotCompilable, type Arg, type Out } from '../compile/from-tfjs.js';
import { evaluate } from '../compile/interpret.js';
import { Builder, type Node } from '../compile/ir.js';
import { Tensor, Variable, type DataType } from './tensor.js';

/** A trace being recorded: its program so far and the value of each node at the traced inputs. */
export class Recording {
  readonly b = new Builder();
  readonly values: (Float64Array | undefined)[] = [];
  /** False once the traced function has returned: its tensors then read like any other. */
  active = true;
  /** Depth of stretches whose values are held constant to every gradient (an IR `stop`). */
  untaped = 0;
  /** IR ids of Variables read or written (parameters, state). */
  readonly vars = new Map<Variable, number>();
  private readonly consts = new WeakMap<Tensor, number>();

  /**
   * @param onVariable how a Variable not yet seen becomes a node when an op mixes it with traced
   *   values (state, or NotCompilable); undefined leaves it a constant.
   * @param variablesTraced whether a Variable read alone is traced too (a baseline's state).
   */
  constructor(
    readonly onVariable?: (v: Variable) => number,
    readonly variablesTraced = false,
  ) {}

  /** Appends a leaf with its value. */
  leaf(node: Parameters<Builder['push']>[0], value: Float64Array): number {
    const id = this.b.push(node);
    this.values[id] = value;
    return id;
  }

  idOf(t: Tensor): number | undefined {
    if (t.rec === this && t.node !== undefined) return t.node;
    if (t instanceof Variable) return this.vars.get(t);
    return undefined;
  }

  traced(t: Tensor): boolean {
    return this.idOf(t) !== undefined || (this.variablesTraced && t instanceof Variable);
  }

  arg(t: Tensor): Arg {
    const id = this.idOf(t);
    if (id !== undefined) return { id, shape: t.shape.slice() };
    if (t instanceof Variable && this.onVariable) {
      const v = this.onVariable(t);
      this.vars.set(t, v);
      return { id: v, shape: t.shape.slice() };
    }
    const values = t.values;
    let c = this.consts.get(t);
    if (c === undefined) {
      c = this.b.push({ op: 'const', shape: t.shape.slice(), value: values });
      this.values[c] = values;
      this.consts.set(t, c);
    }
    return { id: c, shape: t.shape.slice(), value: values };
  }

  /** Makes `t` stand for node `id` (behind a `stop` inside an untaped stretch). */
  mark(t: Tensor, id: number): void {
    if (this.untaped > 0) {
      const s = this.b.push({ op: 'stop', shape: this.b.shape(id).slice(), args: [id] });
      this.values[s] = this.values[id];
      id = s;
    }
    t.rec = this;
    t.node = id;
  }
}

let current: Recording | undefined;

export function recording(): Recording | undefined {
  return current;
}

/** Runs `f` with `rec` recording (nested recordings are not supported). */
export function withRecording<R>(rec: Recording, f: () => R): R {
  if (current) throw new Error('internal: a trace inside a trace');
  current = rec;
  try {
    return f();
  } finally {
    current = undefined;
    rec.active = false;
    // Every tensor made in the trace refers to its recording: the intermediate values it kept for the
    // trace (each tensor holds its own) would otherwise live as long as any of those tensors.
    rec.values.length = 0;
  }
}

export interface OutSpec {
  shape: number[];
  dtype: DataType;
}

const asOut = (o: OutSpec): Out => ({
  shape: o.shape,
  dtype: o.dtype,
  values: () => {
    throw new Error('internal: an eager kernel asked for its output values');
  },
});

/** A matrix product on other kernels than the interpreter's: batch × [M, K] @ [K, N], values in and out. */
export type ProductKernel = (a: Float64Array, aShape: readonly number[], b: Float64Array, bShape: readonly number[], transposeA: boolean, transposeB: boolean) => Float64Array;

/** Multiply–adds from which an eager product runs on `productKernel` when one is set. */
const LARGE_PRODUCT = 1e6;
let productKernel: ProductKernel | undefined;

/**
 * Runs `f` with its large eager products on `kernel` (tfjs's, for the work around a step that runs
 * on tfjs kernels: its draws and its full-data ELBO, as fast as the step's own products).
 */
export function withProducts<R>(kernel: ProductKernel | undefined, f: () => R): R {
  const outer = productKernel;
  productKernel = kernel;
  try {
    return f();
  } finally {
    productKernel = outer;
  }
}

const RELABEL = new Set(['Identity', 'Reshape', 'ExpandDims', 'Squeeze']);

/** A product node's value on `productKernel` when it is large, eager or traced (the trace of a large draw). */
function largeProducts(n: Node, args: readonly Float64Array[]): Float64Array | undefined {
  if (n.op !== 'matmul' || n.batch * n.m * n.k * n.n < LARGE_PRODUCT) return undefined;
  const batch = n.batch === 1 ? [] : [n.batch];
  const aShape = [...batch, ...(n.ta ? [n.k, n.m] : [n.m, n.k])];
  const bShape = [...batch, ...(n.tb ? [n.n, n.k] : [n.k, n.n])];
  return productKernel!(args[0]!, aShape, args[1]!, bShape, n.ta, n.tb);
}

/** Runs the tfjs kernel `name` over `inputs`; one tensor per entry of `outs`. */
export function runKernel(name: string, inputs: readonly Tensor[], attrs: Record<string, unknown>, outs: readonly OutSpec[]): Tensor[] {
  const rec = current;
  if (rec?.active && inputs.some((t) => rec.traced(t))) {
    const start = rec.b.nodes.length;
    const ids = convertKernel(rec.b, name, inputs.map((t) => rec.arg(t)), attrs, outs.map(asOut));
    evaluate(rec.b.nodes, rec.values, start, productKernel && largeProducts);
    return ids.map((id, k) => {
      const t = new Tensor(rec.values[id]!, outs[k]!.shape, outs[k]!.dtype);
      rec.mark(t, id);
      return t;
    });
  }
  // Kernels that only relabel their input share its values, as tfjs shares the data buffer.
  if (RELABEL.has(name)) return [new Tensor(stored(inputs[0]!.values, outs[0]!.dtype), outs[0]!.shape, outs[0]!.dtype)];
  const b = new Builder();
  const values: (Float64Array | undefined)[] = [];
  const args = inputs.map((t): Arg => {
    const v = t.values;
    const id = b.push({ op: 'const', shape: t.shape.slice(), value: v });
    values[id] = v;
    return { id, shape: t.shape.slice(), value: v };
  });
  const ids = convertKernel(b, name, args, attrs, outs.map(asOut));
  evaluate(b.nodes, values, args.length, productKernel && largeProducts);
  return ids.map((id, k) => new Tensor(stored(values[id]!, outs[k]!.dtype), outs[k]!.shape, outs[k]!.dtype));
}

/**
 * Values as tfjs's typed array for `dtype` stores them: an int32 result is truncated and wrapped
 * (ToInt32: tfjs's round of an int32 tensor, or 7 / 2 in int32, is an integer), a bool result
 * taken modulo 256 (Uint8Array: tfjs's true + true is a bool 2). Copied where it changes, as the
 * array may be an input's.
 */
function stored(v: Float64Array, dtype: DataType): Float64Array {
  if (dtype === 'float32') return v;
  const fix = dtype === 'int32' ? (x: number) => x | 0 : (x: number) => x & 255;
  let i = 0;
  while (i < v.length && fix(v[i]!) === v[i]) i++;
  if (i === v.length) return v;
  const out = v.slice();
  for (; i < out.length; i++) out[i] = fix(out[i]!);
  return out;
}


export { NotCompilable };

/**
 * Runs `f` with its results held constant to every gradient: inside a trace, each value it
 * computes from a traced one stands behind an IR `stop`.
 */
export function untaped<R>(f: () => R): R {
  const rec = current;
  if (rec) rec.untaped++;
  try {
    return f();
  } finally {
    if (rec) rec.untaped--;
  }
}

/** x as a value whose derivative is zero (an IR `stop` inside a trace); outside one, a new handle on its values. */
export function stopGradient(x: Tensor): Tensor {
  const t = new Tensor(x.values, x.shape, x.dtype);
  const rec = current;
  if (rec?.active && rec.traced(x)) {
    const a = rec.arg(x);
    const id = rec.b.push({ op: 'stop', shape: x.shape.slice(), args: [a.id] });
    rec.values[id] = rec.values[a.id];
    t.rec = rec;
    t.node = id;
  }
  return t;
}
