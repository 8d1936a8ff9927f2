// Where the automatic Gaussian guide starts: at the mode of the log joint in
// unconstrained space with the Laplace covariance (Stan's `optimize` + `laplace`,
// Pyro's AutoLaplaceApproximation), or at Stan's random inits.
//
// Why: regressions with wide priors and unscaled predictors (kidiq's mom_iq ≈ 100,
// Normal(0, 1000) stand-ins for flat priors) have long correlated ridges that Adam
// at a fixed step size crawls along for thousands of steps, and the ELBO's relative
// change looks converged long before the guide gets there. Newton's method walks
// such a ridge in a few steps because the Hessian rescales it, and for a Gaussian
// posterior the Laplace guide already is the ELBO's optimum.
//
// The start alone is not enough: Adam's first steps move every coordinate by about
// the learning rate, 7–50 posterior sds in earnings' and sblrc's coefficients, so the
// fit then trains in the start's whitened coordinates (Precondition, below).
//
// The search is deterministic (no Monte Carlo: the log joint is evaluated at given
// points), so the same model and data give the same start. Params of the model are
// held at their initial values during the search.

import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { tf } from './backend.js';
import { compileDensity } from './compile/density-js.js';
import { FitError } from './fit.js';
import { evaluateJoint, type JointOptions } from './joint.js';
import type { Layout } from './layout.js';
import { Rng } from './rng.js';
import type { Setup } from './setup.js';

export type InitKind = 'auto' | 'laplace' | 'random';

/** Which start a fit used, and why (shown in the fit's diagnostics). */
export type InitReport =
  | { used: 'laplace'; reason: string; iterations: number; logDensity: number; summedOut?: string[] }
  | { used: 'random'; reason: string };

/** Above this many unconstrained latent scalars 'auto' keeps random inits: a Hessian costs D gradient rows. */
export const LAPLACE_MAX_DIM = 100;

const MAX_ITERATIONS = 50;
/**
 * Consecutive steps with an indefinite Hessian after which the search gives up. Far from the mode
 * a few are normal (sblrc needs 10 from the origin); a funnel's centre is indefinite all the way
 * down (centred eight schools: every step after the first).
 */
const MAX_DAMPED = 20;
/** Newton decrement gᵀA⁻¹g (a squared step length in posterior sds) at which the mode counts as found. */
const DECREMENT_TOL = 1e-6;
/** When float32 noise stops the line search, a decrement this small is still a usable mode (0.03 sd). */
const STALL_TOL = 1e-3;
/** Unconstrained coordinates of constrained latents beyond this (e^30 ≈ 1e13) are a run-off, not a mode. */
const RUN_OFF = 30;

/** Why the Laplace start cannot apply to this model, or null when it can. */
export function laplaceIneligible(s: Setup, layout: Layout, summedOut: ReadonlySet<string> = new Set()): string | null {
  if (s.program.mode === 'optimisation') return 'a stochastic objective has no posterior mode';
  if (s.program.guide) return 'the model has an explicit guide block';
  // A discrete latent summed out of the model (@marginalize) leaves a continuous density behind.
  const discrete = s.latents.find((v) => v.discrete && !summedOut.has(v.name));
  if (discrete) {
    const at = discrete.sites[0]!.stmt.span.start;
    return `'${discrete.name}' (${s.program.file}:${at.line}:${at.column}) is a discrete latent`;
  }
  if (layout.autoDim === 0) return 'no continuous latents';
  return null;
}

type ModeResult =
  | { ok: true; mode: Float64Array; precision: Matrix; logDensity: number; iterations: number }
  | { ok: false; reason: string };

/** Coordinates of u that belong to latents with a constrained support (for the run-off test). */
function constrainedCoordinates(s: Setup, layout: Layout): { index: number; name: string }[] {
  const out: { index: number; name: string }[] = [];
  for (const slot of layout.slots.values()) {
    const v = s.latents.find((l) => l.name === slot.name);
    if (!v || (v.sites[0]!.family.support.kind === 'real' && v.constraint !== 'ordered')) continue;
    for (let i = 0; i < slot.size; i++) out.push({ index: slot.offset + i, name: slot.size === 1 ? slot.name : `${slot.name}[${i}]` });
  }
  return out;
}

/** The log density the mode search climbs, per row of the given u: [S]. */
export type Density = (jo: JointOptions, flat: tf.Tensor) => tf.Tensor;

/** Discrete latents summed out of the model, and the density with them summed out (estimators/step.ts). */
export interface MarginalDensity {
  sites: ReadonlySet<string>;
  logDensity: Density;
}

/** log p(x(u)) + log|det ∂x/∂u|: the density ADVI's Gaussian lives on. */
const plainDensity: Density = (jo, flat) => {
  const j = evaluateJoint(jo, flat);
  return tf.add(j.logp, j.logdet);
};

/** The density at each row of U [S, D]. */
function logDensity(s: Setup, layout: Layout, flat: tf.Tensor, U: tf.Tensor, density: Density): tf.Tensor {
  const S = U.shape[0]!;
  return density({ setup: s, layout, S, rng: new Rng('laplace'), mode: 'inference', u: U }, flat).reshape([S]);
}

/** Made exactly symmetric: rounding (float32 on tfjs) is not. */
function symmetric(h: Float64Array, D: number): Matrix {
  const H = new Matrix(D, D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) H.set(i, j, 0.5 * (h[i * D + j]! + h[j * D + i]!));
  return H;
}

/** Solve (A + λI) d = g with the smallest λ ∈ {0, 1e-8·s, 1e-7·s, …} that makes the matrix positive definite. */
function dampedSolve(A: Matrix, g: Float64Array): { d: Float64Array; damped: boolean } | null {
  const D = g.length;
  let scale = 0;
  for (let i = 0; i < D; i++) scale = Math.max(scale, Math.abs(A.get(i, i)));
  scale = Math.max(scale, 1e-8);
  const rhs = Matrix.columnVector(Array.from(g));
  for (let k = -1; k <= 12; k++) {
    const lambda = k < 0 ? 0 : scale * 10 ** (k - 8);
    const M = lambda === 0 ? A : A.clone().add(Matrix.eye(D, D).mul(lambda));
    const chol = new CholeskyDecomposition(M);
    if (!chol.isPositiveDefinite()) continue;
    const d = Float64Array.from(chol.solve(rhs).getColumn(0));
    if (d.every(Number.isFinite)) return { d, damped: lambda > 0 };
  }
  return null;
}

/** The name of coordinate i of u: a latent, with its element index when it has several. */
function coordinateName(layout: Layout, i: number): string {
  for (const slot of layout.slots.values()) if (i >= slot.offset && i < slot.offset + slot.size) return slot.size === 1 ? slot.name : `${slot.name}[${i - slot.offset}]`;
  return `u[${i}]`;
}

/**
 * A mode with a direction almost flat in unconstrained space is not one to start from: a
 * conditional sd beyond RUN_OFF (e^30) is a ridge or a spike's rim (a scale at its degenerate
 * end), where the guide's first draws overflow. float32 evaluation rarely settles there (its
 * Hessians come out indefinite first); float64 can.
 */
function regularMode(layout: Layout, m: ModeResult & { ok: true }): ModeResult {
  for (let i = 0; i < m.mode.length; i++) {
    const sd = 1 / Math.sqrt(m.precision.get(i, i));
    if (!(sd <= RUN_OFF)) return { ok: false, reason: `no regular mode: '${coordinateName(layout, i)}' is flat there (conditional sd ${sd.toPrecision(3)} in unconstrained space)` };
  }
  return m;
}

/**
 * Damped Newton ascent on the log density from u = 0 (the unconstrained centre: 1 for
 * positive latents, ½ for unit ones), with a backtracking line search. Fails, with the
 * reason, when the density has no finite mode (it runs off) or the search does not settle.
 */
export function findMode(s: Setup, layout: Layout, base: Float32Array, marginal?: MarginalDensity): ModeResult {
  const D = layout.autoDim;
  const flat = tf.tensor1d(base);
  const density = marginal?.logDensity ?? plainDensity;
  try {
    // The compiled density (float64, generated JavaScript); a density that does not compile has no Laplace start.
    const oracle = compileDensity(D, (u) => logDensity(s, layout, flat, u, density));
    if ('reason' in oracle) return { ok: false, reason: `the log density does not compile (${oracle.reason})` };
    const constrained = constrainedCoordinates(s, layout);
    let damped = 0;
    // A summed-out mixture's labels are exchangeable: the origin, where the components coincide,
    // is a saddle that Newton would not leave. Its search starts at the guide's random inits.
    const loc = layout.blocks.get('q:loc');
    let x: Float64Array = marginal && loc ? Float64Array.from(base.subarray(loc.offset, loc.offset + D)) : new Float64Array(D);
    let { f, g } = oracle.valueAndGradient(x);
    if (!Number.isFinite(f) || !g.every(Number.isFinite)) return { ok: false, reason: 'the log density is not finite at the unconstrained origin' };
    for (let it = 1; it <= MAX_ITERATIONS; it++) {
      const A = symmetric(oracle.hessian(x), D).mul(-1);
      if (!A.to1DArray().every(Number.isFinite)) return { ok: false, reason: `the Hessian is not finite after ${it - 1} Newton steps` };
      const solved = dampedSolve(A, g);
      if (!solved) return { ok: false, reason: `the Hessian cannot be regularised after ${it - 1} Newton steps` };
      const decrement = g.reduce((acc, gi, i) => acc + gi * solved.d[i]!, 0);
      if (!solved.damped && decrement < DECREMENT_TOL) return regularMode(layout, { ok: true, mode: x, precision: A, logDensity: f, iterations: it - 1 });
      damped = solved.damped ? damped + 1 : 0;
      if (damped > MAX_DAMPED) return { ok: false, reason: `no regular mode: the Hessian stayed indefinite for ${MAX_DAMPED} Newton steps (a funnel?)` };
      // Armijo backtracking; float32 evaluation noise of order 1e-6·|f| must not reject a good step.
      const slack = 1e-6 * Math.abs(f);
      let t = 1;
      let accepted: { x: Float64Array; f: number } | undefined;
      while (t > 1e-10) {
        const xt = x.map((xi, i) => xi + t * solved.d[i]!);
        const ft = oracle.value(xt);
        if (Number.isFinite(ft) && ft >= f + 1e-4 * t * decrement - slack) {
          accepted = { x: xt, f: ft };
          break;
        }
        t /= 2;
      }
      if (!accepted) {
        if (!solved.damped && decrement < STALL_TOL) return regularMode(layout, { ok: true, mode: x, precision: A, logDensity: f, iterations: it - 1 });
        return { ok: false, reason: `the line search stalled after ${it - 1} Newton steps` };
      }
      x = accepted.x;
      const far = constrained.find((c) => Math.abs(x[c.index]!) > RUN_OFF);
      if (far) return { ok: false, reason: `no finite mode: '${far.name}' ran off to ${x[far.index]!.toFixed(1)} in unconstrained space (a funnel or an improper posterior)` };
      ({ f, g } = oracle.valueAndGradient(x));
      if (!g.every(Number.isFinite)) return { ok: false, reason: `the gradient is not finite after ${it} Newton steps` };
    }
    return { ok: false, reason: `no mode within ${MAX_ITERATIONS} Newton steps (the density may have none: a funnel or an improper posterior)` };
  } finally {
    flat.dispose();
  }
}

/**
 * Train in the Laplace start's whitened coordinates: u = shift + C·u', with C the Cholesky factor
 * of the Laplace covariance (full rank) or the conditional sds (mean-field, whose guide must stay
 * diagonal). Why: Adam moves every coordinate by about its learning rate at first, whatever the
 * coordinate's scale; sblrc's betas have posterior sd 0.001 and earnings' slope 0.007, so 0.05 in
 * raw coordinates throws the guide 7–50 sds off the mode it started at, while in whitened
 * coordinates 0.05 is 0.05 sd in every direction.
 */
export interface Precondition {
  kind: 'diag' | 'tril';
  shift: Float64Array;
  /** C: D entries (diag) or D×D row-major lower triangular (tril). */
  scale: Float64Array;
  logDet: number;
}

/**
 * The guide's starting values and, after a Laplace start, the whitening the fit trains in.
 * `base` holds the random inits; with a precondition the automatic guide's entries are replaced by
 * the whitened identity (loc' = 0, scale' = 1), i.e. exactly the Laplace approximation.
 * 'laplace' on a model that cannot have it, or whose mode is not found, throws; 'auto' falls back.
 */
export function chooseInit(
  kind: InitKind,
  s: Setup,
  layout: Layout,
  base: Float32Array,
  o: { minibatch?: boolean; marginal?: MarginalDensity } = {},
): { flat: Float32Array; report: InitReport; precondition?: Precondition } {
  if (kind === 'random') return { flat: base, report: { used: 'random', reason: 'asked for (init: random)' } };
  const why = o.minibatch ? 'minibatches see only part of the data' : laplaceIneligible(s, layout, o.marginal?.sites);
  if (why) {
    if (kind === 'laplace') throw new RangeError(`fit option init 'laplace' cannot apply: ${why}`);
    return { flat: base, report: { used: 'random', reason: why } };
  }
  if (kind === 'auto' && layout.autoDim > LAPLACE_MAX_DIM) {
    return { flat: base, report: { used: 'random', reason: `${layout.autoDim} continuous latent scalars (the Laplace start is automatic up to ${LAPLACE_MAX_DIM})` } };
  }
  const m = findMode(s, layout, base, o.marginal);
  if (!m.ok) {
    if (kind === 'laplace') throw new FitError(`init 'laplace' failed: ${m.reason}. Use init 'random' (or 'auto', which falls back to it).`);
    return { flat: base, report: { used: 'random', reason: m.reason } };
  }
  const precondition = laplacePrecondition(layout, m.mode, m.precision);
  const flat = Float32Array.from(base);
  for (const key of ['q:loc', 'q:logscale', 'q:tril']) {
    const b = layout.blocks.get(key);
    if (b) flat.fill(0, b.offset, b.offset + b.size); // loc' = 0; log-scales 0 and off-diagonals 0: scale' = I
  }
  return {
    flat,
    precondition,
    report: { used: 'laplace', reason: `mode found in ${m.iterations} Newton steps`, iterations: m.iterations, logDensity: m.logDensity },
  };
}

/**
 * Full rank: C = chol(A⁻¹), the Laplace covariance's factor. Mean-field: C = diag(1/√A_ii), the
 * conditional sds, which is where mean-field ADVI's KL(q‖p) ends on a Gaussian (the marginal sd
 * √Σ_ii is out of its reach).
 */
export function laplacePrecondition(layout: Layout, mode: Float64Array, precision: Matrix): Precondition {
  const D = layout.autoDim;
  if (layout.guide === 'meanfield') {
    const scale = Float64Array.from({ length: D }, (_, i) => 1 / Math.sqrt(precision.get(i, i)));
    return { kind: 'diag', shift: mode, scale, logDet: scale.reduce((a, c) => a + Math.log(c), 0) };
  }
  const cov = inverse(precision);
  const sym = new Matrix(D, D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) sym.set(i, j, 0.5 * (cov.get(i, j) + cov.get(j, i)));
  const L = new CholeskyDecomposition(sym).lowerTriangularMatrix;
  const scale = new Float64Array(D * D);
  let logDet = 0;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) scale[i * D + j] = L.get(i, j);
    logDet += Math.log(L.get(i, i));
  }
  return { kind: 'tril', shift: mode, scale, logDet };
}

/** The precondition as tensors for the training step (joint.ts); dispose after the fit. */
export function preconditionTensors(p: Precondition): { shift: tf.Tensor; scale: tf.Tensor; logDet: number; dispose(): void } {
  const D = p.shift.length;
  const shift = tf.tensor1d(Float32Array.from(p.shift));
  const scale = p.kind === 'diag' ? tf.tensor1d(Float32Array.from(p.scale)) : tf.tensor2d(Float32Array.from(p.scale), [D, D]);
  return { shift, scale, logDet: p.logDet, dispose: () => tf.dispose([shift, scale]) };
}

/** Fitted values in whitened coordinates → the layout's own: loc = shift + C·loc', scale = C·scale'. */
export function toOriginal(layout: Layout, flat: Float32Array, p: Precondition): Float32Array {
  const out = Float32Array.from(flat);
  const D = layout.autoDim;
  const loc = layout.blocks.get('q:loc')!;
  const locW = Float64Array.from(flat.subarray(loc.offset, loc.offset + D));
  const C = (i: number, j: number) => (p.kind === 'diag' ? (i === j ? p.scale[i]! : 0) : j <= i ? p.scale[i * D + j]! : 0);
  for (let i = 0; i < D; i++) {
    let v = p.shift[i]!;
    for (let j = 0; j <= i; j++) v += C(i, j) * locW[j]!;
    out[loc.offset + i] = v;
  }
  const logscale = layout.blocks.get('q:logscale');
  if (logscale) for (let i = 0; i < D; i++) out[logscale.offset + i] = Math.log(p.scale[i]!) + flat[logscale.offset + i]!;
  const tril = layout.blocks.get('q:tril');
  if (tril) {
    // Unpack L' (packed row-major, log diagonal), multiply C·L' (lower triangular), pack again.
    const Lw = new Float64Array(D * D);
    let k = tril.offset;
    for (let i = 0; i < D; i++) for (let j = 0; j <= i; j++, k++) Lw[i * D + j] = i === j ? Math.exp(flat[k]!) : flat[k]!;
    k = tril.offset;
    for (let i = 0; i < D; i++) {
      for (let j = 0; j <= i; j++, k++) {
        let v = 0;
        for (let m = j; m <= i; m++) v += C(i, m) * Lw[m * D + j]!;
        out[k] = i === j ? Math.log(v) : v;
      }
    }
  }
  return out;
}
