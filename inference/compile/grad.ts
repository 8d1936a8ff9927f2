// Reverse mode as a program transformation: appends to a program the nodes
// that compute d(of)/d(wrt). Every rule is written in the IR's own primitives,
// so the result can be differentiated again (second order for RELAX's
// surrogate, Hessian-vector products in the tests) with no special cases.
// `stop` and piecewise-constant ops end a path: their derivative is zero.

import { argsOf, Builder, piecewiseConstant, sizeOf, type Node, type Program } from './ir.js';

/** Which nodes depend on any of `wrt` through differentiable paths. */
export function activeSet(nodes: readonly Node[], wrt: readonly number[]): boolean[] {
  const active = new Array<boolean>(nodes.length).fill(false);
  for (const w of wrt) active[w] = true;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (active[i] || n.op === 'stop' || piecewiseConstant(n.op)) continue;
    active[i] = argsOf(n).some((a) => active[a]);
  }
  return active;
}

/**
 * The program extended by the gradient of the scalar `of` with respect to each of `wrt`; the
 * returned ids index the extended program's nodes (a zero constant where no path exists).
 */
export function grad(p: Program, of: number, wrt: readonly number[]): { program: Program; grads: number[] } {
  const b = new Builder(p.nodes);
  const grads = gradInto(b, of, wrt);
  return { program: b.program({ ...p.outputs }), grads };
}

/**
 * Appends to `b` the nodes of d(of)/d(wrt) and returns their ids: the gradient counts only paths
 * that start at a `wrt` node (as a tape started at those values would).
 */
export function gradInto(b: Builder, of: number, wrt: readonly number[]): number[] {
  if (b.size(of) !== 1) throw new Error(`internal: grad of a value of shape [${b.shape(of)}]`);
  const nodes = b.nodes.slice(0, of + 1);
  const active = activeSet(nodes, wrt);
  const ct = new Map<number, number>();
  const give = (to: number, g: number) => {
    if (!active[to]) return;
    const g2 = fitTo(b, g, to);
    const had = ct.get(to);
    ct.set(to, had === undefined ? g2 : b.binary('add', had, g2, b.shape(to)));
  };
  if (active[of]) ct.set(of, b.constant(1, b.shape(of)));
  for (let i = of; i >= 0; i--) {
    const g = ct.get(i);
    if (g === undefined) continue;
    const n = nodes[i]!;
    if (wrt.includes(i) && !('args' in n)) continue;
    vjp(b, n, i, g, give);
  }
  return wrt.map((w) => ct.get(w) ?? b.constant(new Float64Array(b.size(w)), b.shape(w).slice()));
}

/** A cotangent of an elementwise op, summed down to an argument broadcast from size 1. */
function fitTo(b: Builder, g: number, to: number): number {
  if (b.size(g) === b.size(to)) return g;
  if (b.size(to) === 1) return b.scatterAdd(g, new Int32Array(b.size(g)), b.shape(to).slice());
  throw new Error(`internal: cotangent of size ${b.size(g)} for a value of size ${b.size(to)}`);
}

type Give = (to: number, g: number) => void;

function vjp(b: Builder, n: Node, out: number, g: number, give: Give): void {
  const mul = (x: number, y: number) => b.binary('mul', x, y);
  const div = (x: number, y: number) => b.binary('div', x, y);
  const neg = (x: number) => b.unary('neg', x);
  const zero = b.constant(0);
  switch (n.op) {
    case 'param':
    case 'state':
    case 'noise':
    case 'input':
    case 'const':
    case 'stop':
      return;
    case 'neg':
      return give(n.args[0], neg(g));
    case 'exp':
      return give(n.args[0], mul(g, out));
    case 'expm1':
      return give(n.args[0], mul(g, b.binary('add', out, b.constant(1))));
    case 'log':
      return give(n.args[0], div(g, n.args[0]));
    case 'log1p':
      return give(n.args[0], div(g, b.binary('add', n.args[0], b.constant(1))));
    case 'sqrt':
      return give(n.args[0], div(mul(g, b.constant(0.5)), out));
    case 'sin':
      return give(n.args[0], mul(g, b.unary('cos', n.args[0])));
    case 'cos':
      return give(n.args[0], neg(mul(g, b.unary('sin', n.args[0]))));
    case 'tanh': {
      const one = b.constant(1);
      return give(n.args[0], mul(g, mul(b.binary('sub', one, out), b.binary('add', one, out))));
    }
    case 'sigmoid':
      // σ'(x) = σ(x)σ(−x): both factors keep their precision in the tails.
      return give(n.args[0], mul(g, mul(out, b.unary('sigmoid', neg(n.args[0])))));
    case 'softplus':
      return give(n.args[0], mul(g, b.unary('sigmoid', n.args[0])));
    case 'abs':
      return give(n.args[0], mul(g, b.unary('sign', n.args[0])));
    case 'reciprocal':
      return give(n.args[0], neg(mul(g, mul(out, out))));
    case 'erf': {
      const x = n.args[0];
      return give(x, mul(g, mul(b.constant(2 / Math.sqrt(Math.PI)), b.unary('exp', neg(mul(x, x))))));
    }
    case 'atan': {
      const x = n.args[0];
      // atan'(x) = 1 / (1 + x²)
      return give(x, div(g, b.binary('add', b.constant(1), mul(x, x))));
    }
    case 'add':
      give(n.args[0], g);
      return give(n.args[1], g);
    case 'sub':
      give(n.args[0], g);
      return give(n.args[1], neg(g));
    case 'mul':
      give(n.args[0], mul(g, n.args[1]));
      return give(n.args[1], mul(g, n.args[0]));
    case 'div':
      give(n.args[0], div(g, n.args[1]));
      return give(n.args[1], neg(div(mul(g, out), n.args[1])));
    case 'pow': {
      const [x, y] = n.args;
      give(x, mul(g, mul(y, b.binary('pow', x, b.binary('sub', y, b.constant(1))))));
      // ∂/∂y xʸ = xʸ log x where x > 0, and 0 elsewhere (as tfjs has it).
      const positive = b.binary('gt', x, zero);
      const logX = b.unary('log', b.select(positive, x, b.constant(1)));
      return give(y, b.select(positive, mul(g, mul(out, logX)), zero));
    }
    case 'max':
    case 'min': {
      const [x, y] = n.args;
      const toX = b.binary(n.op === 'max' ? 'ge' : 'le', x, y, n.shape);
      give(x, b.select(toX, g, zero, n.shape));
      return give(y, b.select(toX, zero, g, n.shape));
    }
    case 'select': {
      const [c, x, y] = n.args;
      give(x, b.select(c, g, zero, n.shape));
      return give(y, b.select(c, zero, g, n.shape));
    }
    case 'gather':
      return give(n.args[0], b.scatterAdd(g, n.map, b.shape(n.args[0]).slice()));
    case 'scatterAdd':
      return give(n.args[0], b.gather(g, n.map, b.shape(n.args[0]).slice()));
    case 'segmentMax':
    case 'segmentMin': {
      // Ties share the full cotangent, as tfjs's max gradient does.
      const x = n.args[0];
      const shape = b.shape(x).slice();
      const hit = b.binary('eq', x, b.gather(out, n.map, shape));
      return give(x, b.select(hit, b.gather(g, n.map, shape), zero, shape));
    }
    case 'take': {
      const [x, idx] = n.args;
      return give(x, b.push({ op: 'put', shape: b.shape(x).slice(), args: [g, idx], outer: n.outer, n: n.n, inner: n.inner }));
    }
    case 'put': {
      const [x, idx] = n.args;
      return give(x, b.push({ op: 'take', shape: b.shape(x).slice(), args: [g, idx], outer: n.outer, n: n.n, inner: n.inner }));
    }
    case 'matmul': {
      const [x, y] = n.args;
      give(x, n.ta ? b.matmul(y, g, n.tb, true) : b.matmul(g, y, false, !n.tb));
      return give(y, n.tb ? b.matmul(g, x, true, n.ta) : b.matmul(x, g, !n.ta, false));
    }
    default:
      if (piecewiseConstant(n.op)) return;
      throw new Error(`internal: no derivative rule for ${n.op}`);
  }
}

export { sizeOf };
