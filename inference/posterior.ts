// Draws from the fitted approximation, and what people ask of them: summaries
// (mean, sd, 5/50/95%), raw samples, and queries written in the model language
// (`theta[1] - theta[0]`, `P(mu > 0)`, `E(tau ^ 2)`, `quantile(tau, 0.9)`).

import type { Expr } from '../language/ast.js';
import { tf } from './backend.js';
import { varRefs } from './graph.js';
import { EvalError } from '../language/errors.js';
import { Interpreter } from './evaluate.js';
import { hard, type Val } from './values.js';

export interface DrawArray {
  /** Logical shape of one draw. */
  shape: number[];
  /** Row-major, draws × prod(shape). */
  values: Float32Array;
}

export interface SummaryRow {
  mean: number;
  sd: number;
  q5: number;
  q50: number;
  q95: number;
}

export type QueryResult =
  | { kind: 'probability'; value: number; se: number; draws: number }
  | { kind: 'expectation'; value: number; se: number; draws: number }
  | { kind: 'quantile'; value: number; q: number; draws: number }
  | { kind: 'summary'; rows: Record<string, SummaryRow>; draws: number };

export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  // Linear interpolation between order statistics (R's type 7, NumPy's default).
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function summarise(xs: Float32Array | number[]): SummaryRow {
  const n = xs.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - mean) ** 2;
  const sorted = Float64Array.from(xs).sort();
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, q5: quantileSorted(sorted, 0.05), q50: quantileSorted(sorted, 0.5), q95: quantileSorted(sorted, 0.95) };
}

/** Element names in row-major order with 0-based indices: theta[0], …, X[1, 2]. */
export function elementNames(name: string, shape: number[]): string[] {
  if (shape.length === 0) return [name];
  const out: string[] = [];
  const total = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    const idx: number[] = [];
    let r = k;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]!);
      r = Math.floor(r / shape[d]!);
    }
    out.push(`${name}[${idx.join(', ')}]`);
  }
  return out;
}

/** Column `k` of a draws × size array. */
function column(a: DrawArray, k: number, n: number): Float32Array {
  const size = a.values.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = a.values[i * size + k]!;
  return out;
}

export class Posterior {
  constructor(
    /** Latents, deterministics and params by name. */
    readonly draws: Map<string, DrawArray>,
    readonly nDraws: number,
    /** Names in the order the summary lists them. */
    readonly order: string[],
    private readonly parseExpr: (text: string) => Expr,
  ) {}

  summary(): Record<string, SummaryRow> {
    const out: Record<string, SummaryRow> = {};
    for (const name of this.order) Object.assign(out, this.summariseName(name));
    return out;
  }

  private summariseName(name: string): Record<string, SummaryRow> {
    const a = this.draws.get(name)!;
    const out: Record<string, SummaryRow> = {};
    elementNames(name, a.shape).forEach((el, k) => (out[el] = summarise(column(a, k, this.nDraws))));
    return out;
  }

  /** The first n draws of a variable, each a number or nested array. */
  samples(name: string, n = this.nDraws): unknown[] {
    const a = this.draws.get(name);
    if (!a) throw new Error(`no posterior draws for '${name}'; known: ${[...this.draws.keys()].join(', ')}`);
    const size = a.values.length / this.nDraws;
    const out: unknown[] = [];
    for (let i = 0; i < Math.min(n, this.nDraws); i++) out.push(nest(Array.from(a.values.subarray(i * size, (i + 1) * size)), a.shape));
    return out;
  }

  /** Draws of an expression over the posterior, flattened per draw: [nDraws, size]. */
  evaluate(expr: Expr): DrawArray {
    // The draws leave the tidy through a variable: tidy walks a returned typed array index by index.
    let out: DrawArray | undefined;
    tf.tidy(() => {
      const env = new Map<string, Val>();
      for (const name of referencedNames(expr)) {
        const a = this.draws.get(name);
        if (a) env.set(name, tf.tensor(a.values, [this.nDraws, ...a.shape]));
      }
      const interp = new Interpreter({ sizes: new Map(), siteOf: new Map(), elementShapes: new Map() }, noHandlers, env);
      const v = hard(interp.eval(expr));
      if (typeof v === 'number') {
        out = { shape: [], values: new Float32Array(this.nDraws).fill(v) };
        return;
      }
      const full = v.shape[0] === this.nDraws ? v : tf.broadcastTo(v, [this.nDraws, ...v.shape.slice(1)]);
      out = { shape: full.shape.slice(1), values: full.dataSync() as Float32Array };
    });
    return out!;
  }

  query(text: string): QueryResult {
    const expr = this.parseExpr(text);
    const n = this.nDraws;
    if (expr.kind === 'call' && (expr.callee === 'P' || expr.callee === 'E') && expr.args.length === 1) {
      const d = this.evaluate(expr.args[0]!.value);
      if (d.shape.length) throw new EvalError(`${expr.callee}(…) needs a scalar expression; this one has shape [${d.shape.join(', ')}]`, expr.span);
      const s = summarise(d.values);
      if (expr.callee === 'P') {
        let hits = 0;
        for (const x of d.values) if (x !== 0) hits++;
        const p = hits / n;
        return { kind: 'probability', value: p, se: Math.sqrt((p * (1 - p)) / n), draws: n };
      }
      return { kind: 'expectation', value: s.mean, se: s.sd / Math.sqrt(n), draws: n };
    }
    if (expr.kind === 'call' && expr.callee === 'quantile' && expr.args.length === 2) {
      const d = this.evaluate(expr.args[0]!.value);
      const qArg = expr.args[1]!.value;
      if (qArg.kind !== 'num' || qArg.value < 0 || qArg.value > 1) throw new EvalError('quantile(expr, q) needs a number q between 0 and 1', qArg.span);
      if (d.shape.length) throw new EvalError('quantile(…) needs a scalar expression', expr.span);
      return { kind: 'quantile', value: quantileSorted(Float64Array.from(d.values).sort(), qArg.value), q: qArg.value, draws: n };
    }
    const d = this.evaluate(expr);
    const rows: Record<string, SummaryRow> = {};
    elementNames(text.trim(), d.shape).forEach((el, k) => (rows[el] = summarise(column(d, k, n))));
    return { kind: 'summary', rows, draws: n };
  }
}

const noHandlers = {
  sample(): never {
    throw new Error('queries cannot sample');
  },
  observe(): never {
    throw new Error('queries cannot observe');
  },
  param(name: string): never {
    throw new Error(`param '${name}' is not available in a query`);
  },
};

export function referencedNames(e: Expr): Set<string> {
  return new Set(varRefs(e).map((v) => v.name));
}

function nest(flat: number[], shape: number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d! }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), rest));
}
