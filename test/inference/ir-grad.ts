// Shared by the tests of differentiable functions (ops, special functions, transforms, families):
// derivatives the way a fit takes them, through the compiled engine — the function, written in
// tfjs ops, traced once into the IR (compile/trace.ts), differentiated by our reverse mode
// (compile/grad.ts, applied twice for second derivatives) and run as generated JavaScript in float64.
import { tf } from '../../inference/backend.js';
import { grad } from '../../inference/compile/grad.js';
import { Builder } from '../../inference/compile/ir.js';
import { lowerJs } from '../../inference/compile/lower-js.js';
import { traceLoss } from '../../inference/compile/trace.js';

/** f's value (Σ of its output) and gradient at `at`, compiled. */
export function irGrad(f: (x: tf.Tensor) => tf.Tensor, at: ArrayLike<number>): { value: number; grad: number[] } {
  const x0 = Float32Array.from(at);
  const tr = traceLoss(x0, (x) => tf.sum(f(x)));
  const d = grad(tr.program, tr.loss, [tr.params[0]!]);
  const low = lowerJs(d.program, [tr.loss, d.grads[0]!]);
  low.buffers[tr.params[0]!]?.set(x0);
  for (const n of tr.noise) low.buffers[n.id]?.set(n.values);
  low.run();
  const g = low.buffers[d.grads[0]!];
  return { value: low.buffers[tr.loss]![0]!, grad: g ? Array.from(g) : Array.from(x0, () => 0) };
}

/** The gradient of several scalar arguments: f is given them as one vector, split. */
export function irGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, at: number[]): number[] {
  return irGrad((v) => f(...tf.unstack(v)), at).grad;
}

/**
 * The Hessian of Σ f at `at`, compiled: reverse mode over reverse mode (∇(∇f · v) at v = e_i,
 * row by row), D×D row-major.
 */
export function irHessian(f: (x: tf.Tensor) => tf.Tensor, at: ArrayLike<number>): number[][] {
  const x0 = Float32Array.from(at);
  const D = x0.length;
  const tr = traceLoss(x0, (x) => tf.sum(f(x)));
  const x = tr.params[0]!;
  const first = grad(tr.program, tr.loss, [x]);
  const b = new Builder(first.program.nodes);
  const v = b.push({ op: 'param', shape: [D], slot: 1 });
  const gv = b.sum(b.binary('mul', first.grads[0]!, v), [0]);
  const second = grad(b.program({}), gv, [x]);
  const hv = second.grads[0]!;
  const low = lowerJs(second.program, [hv]);
  const rows: number[][] = [];
  for (let i = 0; i < D; i++) {
    low.buffers[x]?.set(x0);
    for (const n of tr.noise) low.buffers[n.id]?.set(n.values);
    const e = new Float64Array(D);
    e[i] = 1;
    low.buffers[v]?.set(e);
    low.run();
    const h = low.buffers[hv];
    rows.push(h ? Array.from(h) : new Array<number>(D).fill(0));
  }
  return rows;
}

/** d²/dx² of a scalar function at x, compiled. */
export function irSecond(f: (x: tf.Tensor) => tf.Tensor, x: number): number {
  return irHessian((v) => f(tf.reshape(v, [])), [x])[0]![0]!;
}
