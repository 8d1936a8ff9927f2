// The Laplace start's log density, compiled: traced once over tfjs, then its value,
// gradient and Hessian–vector products run as generated JavaScript in float64. The
// mode search (init.ts) evaluates the density, its gradient and a D×D Hessian at
// every Newton step; on tfjs that is most of a small model's fit (eight schools:
// 200 of 280 ms), compiled it is a few milliseconds.

import { tf } from '../backend.js';
import { grad } from './grad.js';
import { Builder } from './ir.js';
import { lowerJs, type LoweredJs } from './lower-js.js';
import { simplify } from './simplify.js';
import { agreesWithTrace, NotCompilable, traceLoss } from './trace.js';

/** What the mode search asks of a log density f on u ∈ R^D. */
export interface DensityOracle {
  value(x: Float64Array): number;
  valueAndGradient(x: Float64Array): { f: number; g: Float64Array };
  /** ∇²f(x), D×D row-major. */
  hessian(x: Float64Array): Float64Array;
}

/** One lowered program with its input buffers found. */
interface Piece {
  js: LoweredJs;
  /** u's buffer; none where the outputs do not depend on u (a quadratic density's Hessian). */
  x?: Float64Array;
  v?: Float64Array;
  out: Float64Array[];
}

/**
 * The compiled oracle of `density` (u as a [1, D] tensor → a scalar), or the reason it cannot be
 * compiled (a kernel with no rule, a random draw, a value read back during the evaluation).
 */
export function compileDensity(D: number, density: (u: tf.Tensor) => tf.Tensor): DensityOracle | { reason: string } {
  let trace;
  try {
    trace = traceLoss(new Float32Array(D), (flat) => tf.sum(density(tf.reshape(flat, [1, D]))));
  } catch (e) {
    if (e instanceof NotCompilable) return { reason: e.message };
    throw e;
  }
  if (trace.noise.length || trace.state.length) return { reason: 'the density draws noise or keeps state' };
  const x0 = trace.params[0]!;
  const first = grad(trace.program, trace.loss, [x0]);
  const g = first.grads[0]!;
  // Hessian–vector products: ∇(∇f · v), with v a second input; row i of the Hessian at v = e_i.
  const b = new Builder(first.program.nodes);
  const v = b.push({ op: 'param', shape: [D], slot: 1 });
  const gv = b.sum(b.binary('mul', g, v), [0]);
  const second = grad(b.program({}), gv, [x0]);
  const hv = second.grads[0]!;

  const piece = (outputs: number[], withV: boolean): Piece => {
    const s = simplify(second.program);
    const js = lowerJs(s.program, outputs.map(s.id));
    const buf = (id: number) => js.buffers[s.id(id)];
    return { js, x: buf(x0), v: withV ? buf(v) : undefined, out: outputs.map((o) => buf(o) ?? new Float64Array(D)) };
  };
  const valueOnly = piece([trace.loss], false);
  const withGrad = piece([trace.loss, g], false);
  const withHv = piece([hv], true);

  // The lowered value at the trace's own point must be tfjs's.
  valueOnly.x?.fill(0);
  valueOnly.js.run();
  const at0 = valueOnly.out[0]![0]!;
  if (!agreesWithTrace(at0, trace.lossValue)) {
    return { reason: `internal: the compiled density ${at0} differs from the traced ${trace.lossValue}` };
  }

  return {
    value(x) {
      valueOnly.x?.set(x);
      valueOnly.js.run();
      return valueOnly.out[0]![0]!;
    },
    valueAndGradient(x) {
      withGrad.x?.set(x);
      withGrad.js.run();
      return { f: withGrad.out[0]![0]!, g: Float64Array.from(withGrad.out[1]!) };
    },
    hessian(x) {
      const H = new Float64Array(D * D);
      withHv.x?.set(x);
      // A Hessian whose v has no path to the gradient (f linear in u) is zero: no buffer for v then.
      if (!withHv.v) return H;
      for (let i = 0; i < D; i++) {
        withHv.v.fill(0);
        withHv.v[i] = 1;
        withHv.js.run();
        H.set(withHv.out[0]!, i * D);
      }
      return H;
    },
  };
}
