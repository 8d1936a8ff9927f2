// Gradients of eager code, by the IR's own reverse mode (compile/grad.ts): the
// function is recorded and its recorded program differentiated. Inside a trace
// the gradient's nodes join the trace, so a loss that contains a gradient
// (RELAX's Σĝ²) is differentiated again by the step's own reverse mode.

import { gradInto } from '../compile/grad.js';
import { evaluate } from '../compile/interpret.js';
import { Recording, recording, withRecording } from './run.js';
import { Tensor } from './tensor.js';
import { mul, sum } from './ops.js';

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

function differentiate(rec: Recording, ws: Tensor[], y: Tensor, dy?: Tensor): Tensor[] {
  const total = dy === undefined ? y : sum(mul(y, dy));
  if (total.size !== 1) throw new Error(`grads: the function must return a scalar (or be given dy), not a value of shape [${y.shape}]`);
  const of = rec.idOf(total);
  if (of === undefined) return ws.map((w) => new Tensor(new Float64Array(w.size), w.shape, 'float32'));
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

/** tf.grads: the gradient of f's (scalar) value with respect to each argument. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
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
  };
}

export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  const g = grads(f);
  return (x, dy) => g([x], dy)[0]!;
}

/** tf.customGrad: the forward value only; derivatives come from the IR's own rules. */
export function customGrad<A extends unknown[]>(f: (...args: [...A, (ts: Tensor[]) => void]) => { value: Tensor; gradFunc: unknown }): (...args: A) => Tensor {
  return (...args: A) => f(...args, () => undefined).value;
}
