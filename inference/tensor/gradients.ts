// Gradients of eager code, by the IR's own reverse mode (compile/grad.ts): the
// function is recorded and its recorded program differentiated. Inside a trace
// the gradient's nodes join the trace, so a loss that contains a gradient
// (RELAX's Σĝ²) is differentiated again by the step's own reverse mode.

import { gradInto } from '../compile/grad.js';
import { evaluate } from '../compile/interpret.js';
import { argsOf, type Node } from '../compile/ir.js';
import { Recording, recording, withRecording } from './run.js';
import { tidy } from './scope.js';
import { Tensor, type TensorLike } from './tensor.js';
import { mul, sum, tensor } from './ops.js';

/** A node standing for `x` inside `rec`, new, so that only paths through it count. */
function freshNode(rec: Recording, x: Tensor): Tensor {
  const a = rec.arg(x);
  const map = new Int32Array(x.size);
  for (let i = 0; i < map.length; i++) map[i] = i;
  const id = rec.b.push({ op: 'gather', shape: x.shape.slice(), args: [a.id], map });
  rec.values[id] = rec.values[a.id];
  const t = new Tensor(rec.values[id]!, x.shape, x.dtype);
  t.rec = rec;
  t.node = id;
  return t;
}

/** Whether node `to` is among the arguments, transitively, of node `from`. */
function reaches(nodes: readonly Node[], from: number, to: number): boolean {
  const seen = new Uint8Array(from + 1);
  seen[from] = 1;
  for (let i = from; i >= to; i--) {
    if (!seen[i]) continue;
    if (i === to) return true;
    for (const a of argsOf(nodes[i]!)) seen[a] = 1;
  }
  return false;
}

const UNCONNECTED = 'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.';

function differentiate(rec: Recording, ws: Tensor[], y: Tensor, dy?: Tensor): Tensor[] {
  if (!(y instanceof Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  if (dy !== undefined) {
    if (dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    if (dy.rank !== y.rank || dy.shape.some((d, i) => d !== y.shape[i]))
      throw new Error(`The shape of dy passed in grads(f)([x1,...], dy) must match the shape returned by f([x1,...]): [${dy.shape}] and [${y.shape}]`);
  }
  // tfjs seeds the backward pass with dy, or with ones: the gradient of Σ y.
  const total = sum(dy === undefined ? y : mul(y, dy));
  const of = rec.idOf(total);
  // tfjs refuses an argument no operation leads from (comparisons count as a path; their derivative is 0).
  if (of === undefined || ws.some((w) => !reaches(rec.b.nodes, of, w.node!))) throw new Error(UNCONNECTED);
  const start = rec.b.nodes.length;
  const ids = gradInto(rec.b, of, ws.map((w) => w.node!));
  evaluate(rec.b.nodes, rec.values, start);
  return ids.map((id, k) => {
    const t = new Tensor(rec.values[id]!, ws[k]!.shape, 'float32');
    t.rec = rec;
    t.node = id;
    return t;
  });
}

const asTensor = (x: TensorLike): Tensor => (x instanceof Tensor ? x : tensor(x));

/** tf.grads: the gradient of Σ f(…) (or of Σ f(…)·dy) with respect to each argument. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: TensorLike[], dy?: TensorLike) => Tensor[] {
  if (typeof f !== 'function') throw new Error('The f passed in grads(f) must be a function');
  return (args, dyLike) => {
    if (!Array.isArray(args)) throw new Error('The args passed in grads(f)(args) must be an array of `Tensor`s or `TensorLike`s');
    if (args.length === 0) throw new Error('gradients() received an empty list of xs.');
    const xs = args.map(asTensor);
    const dy = dyLike === undefined || dyLike === null ? undefined : asTensor(dyLike);
    // As tfjs's ENGINE.tidy around its gradients: only the gradients (and what f keeps) stay alive.
    return tidy(() => {
      const outer = recording();
      if (outer?.active) {
        const ws = xs.map((x) => freshNode(outer, x));
        return differentiate(outer, ws, f(...ws), dy);
      }
      // Outside a trace: record f alone, with its arguments as the leaves, and read the values.
      const rec = new Recording();
      const out = withRecording(rec, () => {
        const ws = xs.map((x, slot) => {
          const id = rec.leaf({ op: 'param', shape: x.shape.slice(), slot }, x.values);
          const t = new Tensor(x.values, x.shape, x.dtype);
          t.rec = rec;
          t.node = id;
          return t;
        });
        return differentiate(rec, ws, f(...ws), dy);
      });
      return out.map((g) => new Tensor(g.values, g.shape, g.dtype));
    });
  };
}

export function grad(f: (x: Tensor) => Tensor): (x: TensorLike, dy?: TensorLike) => Tensor {
  if (typeof f !== 'function') throw new Error('The f passed in grad(f) must be a function');
  const g = grads(f);
  return (x, dy) => g([x], dy)[0]!;
}

/** What tf.customGrad hands its function last: tensors to keep for the gradient. */
export type GradSaveFunc = (save: Tensor[]) => void;

/**
 * tf.customGrad, typed as tfjs types it. The forward value only: gradFunc is never called, the
 * derivatives come from the IR's own rules for the ops that made the value.
 */
export function customGrad<T extends Tensor>(
  f: (...args: Array<Tensor | GradSaveFunc>) => { value: T; gradFunc: (dy: T, saved: Tensor[]) => Tensor | Tensor[] },
): (...args: Tensor[]) => T {
  if (typeof f !== 'function') throw new Error('The f passed in customGrad(f) must be a function.');
  return (...args: Tensor[]) =>
    tidy(() => {
      const res = f(...args, () => undefined);
      if (!(res?.value instanceof Tensor)) throw new Error('The function f passed in customGrad(f) must return an object where `obj.value` is a tensor');
      if (typeof res.gradFunc !== 'function') throw new Error('The function f passed in customGrad(f) must return an object where `obj.gradFunc` is a function.');
      return res.value;
    });
}
