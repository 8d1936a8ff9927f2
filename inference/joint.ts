// One evaluation of guide and model over S particles: draws every latent from q,
// scores the model at those values, and returns the pieces of the objective as
// tensors kept over particles (so estimators can form per-particle signals).
// The same function serves the training step (flat = the Variable) and posterior
// draws (flat = the fitted values, S = number of draws).

import type { SiteInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';
import type { Constraint } from '../language/types.js';
import { tf } from './backend.js';
import { makeDistribution, type Distribution, type Params } from './distributions/index.js';
import { EvalError, Interpreter, sliceAt, type Handlers, type SiteEvent } from './evaluate.js';
import { paramKey, unconstrainedShapeOf, type Layout } from './layout.js';
import { isMatrixConstraint } from '../language/types.js';
import { MATRIX_BIJECTORS } from './matrix-transforms.js';
import * as ops from './ops.js';
import type { Rng } from './rng.js';
import { batchLogitsKey, BATCH_AUTO, gatherFlat, type BatchView } from './batch.js';
import type { Setup } from './setup.js';
import { bijectorFor, bijectorForConstraint } from './transforms.js';
import { hard, padRank, Soft, sumLogical, toTensor, type Val } from './values.js';
import { targetTermId } from './graph.js';
import { familyParams } from './density-calls.js';
import { normalNoise } from './noise.js';

const LOG_2PI = Math.log(2 * Math.PI);
/** Particles from which a latent's columns of u are cut through uᵀ (see columnsOf in evaluateJoint). */
const MANY_DRAWS = 64;

/** A discrete latent drawn from its guide: what a score-function or RELAX estimator needs. */
export interface DiscreteDraw {
  name: string;
  site: SiteInfo;
  /** Element indices for element sites (`z[t]`), else []. */
  element: number[];
  value: tf.Tensor | Soft;
  /** log q(value), shape [S, ...batch], differentiable in the guide's parameters. */
  logq: tf.Tensor;
  /** The drawing distribution's logits (Bernoulli: value's shape; Categorical: plus K); null for count families. */
  logits: tf.Tensor | null;
  /** The value carries a pathwise gradient (concrete): log q stays differentiable inside the objective's value. */
  pathwise?: boolean;
  /** Weight of this draw's log q in the ELBO: N/B for a site local to a subsampled plate, else 1. */
  scale: number;
  /**
   * A continuous site drawn for a score-function estimator from a reparameterisable family: how
   * to draw the same value pathwise again (its distribution's parameters and the draw's seed), for
   * LAX's control variate c(z(θ, ε)).
   */
  redraw?: { params: Params; seed: number; shape: number[] };
}

/** What an estimator sees when a discrete latent is drawn. */
export interface DiscreteEvent {
  ev: SiteEvent;
  /** The distribution the value is drawn from: the guide's (inference) or the model's (optimisation). */
  q: Distribution;
  logits: tf.Tensor | null;
  S: number;
  rng: Rng;
}

/** Estimators decide how a discrete latent is drawn (RELAX needs its own noise, concrete a relaxed value). */
export type DiscreteHook = (d: DiscreteEvent) => { value: tf.Tensor | Soft; logq: tf.Tensor; pathwise?: boolean };

/** The default: an exact draw from q, scored by its log-probability. */
export const plainDraw: DiscreteHook = ({ ev, q, S, rng }) => {
  const value = q.sample([S, ...ev.shape], rng.int());
  return { value, logq: q.logProb(value) };
};

/** log p at a hard or relaxed value (the Bernoulli and Categorical formulas extend to relaxed ones). */
export function logProbAt(dist: Distribution, value: tf.Tensor | Soft): tf.Tensor {
  if (!(value instanceof Soft)) return dist.logProb(value);
  if (value.k === 2 && dist.family === 'Bernoulli') return dist.logProb(value.expected());
  const cat = dist as Distribution & { logProbOneHot?: (w: tf.Tensor) => tf.Tensor };
  if (!cat.logProbOneHot) throw new Error(`${dist.family} has no density at relaxed values`);
  return cat.logProbOneHot(value.weights);
}

/** Logits of a Bernoulli/Categorical distribution's parameters (probs are converted). */
export function logitsOf(family: string, params: Params): tf.Tensor | null {
  if (params['logits']) return params['logits'];
  const p = params['probs'];
  if (!p) return null;
  if (family === 'Bernoulli') return tf.sub(ops.log(p), ops.log1p(tf.neg(p)));
  if (family === 'Categorical') return ops.log(p);
  return null;
}

/** A model log-density term, kept with where it came from (for Rao-Blackwellised signals). */
export interface CostTerm {
  name: string;
  observed: boolean;
  /** Shape [S or 1, ...batch]. */
  value: tf.Tensor;
  span: Span;
  /** Weight of the term in the ELBO: N/B for a term local to a subsampled plate, else 1 (`value` is unweighted). */
  scale: number;
  /** The family and its arguments, so that a non-finite term can be explained by their domain (fit.ts). */
  family: string;
  params: Params;
}

export interface Joint {
  S: number;
  /** Σ model log-densities per particle, [S]. */
  logp: tf.Tensor;
  /** Σ log|det J| of automatic guides' transforms, [S]. */
  logdet: tf.Tensor;
  /** Σ log q of explicitly guided continuous sites, [S]. */
  logqExplicit: tf.Tensor;
  /** log q_u(u) of the automatic Gaussian guide at its draw, [S] (for PSIS; training uses `entropy`). */
  logqAuto: tf.Tensor;
  /** Analytic entropy of the automatic Gaussian guide, scalar. */
  entropy: tf.Tensor;
  /** Σ minimize terms − Σ maximize terms per particle, [S] (optimisation mode). */
  cost: tf.Tensor;
  terms: CostTerm[];
  /** Each minimize (+) / maximize (−) term, summed over its own shape, [S or 1]. */
  objectives: { value: tf.Tensor; span: Span }[];
  discrete: DiscreteDraw[];
  /** The model's values after the run (latents, deterministics, data, params). */
  env: Map<string, Val>;
  /** Automatic-guide draws in unconstrained space, [S, autoDim] (absent when autoDim = 0). */
  u?: tf.Tensor;
  /**
   * With a batch: the unweighted sum of the local contributions to the particle value, [S]
   * (so the value is globals + scale × local; full-data chunks add up their local parts).
   */
  local?: tf.Tensor;
}

export interface JointOptions {
  setup: Setup;
  layout: Layout;
  S: number;
  rng: Rng;
  /** Draw discrete latents from the guide (inference) or the prior (optimisation mode). */
  mode: 'inference' | 'optimisation';
  /** Hook for discrete latents: estimators may replace how a discrete site is drawn (RELAX needs its noise). */
  /** Posterior predictive: called with a fresh draw of every observed site. */
  replicate?: (ev: SiteEvent, draw: tf.Tensor) => void;
  /** How discrete latents are drawn (default: exact draws). */
  drawDiscrete?: DiscreteHook;
  /** Also compute log q of the automatic guide at its draws (for PSIS; training uses the entropy). */
  withLogq?: boolean;
  /**
   * Continuous sites whose plan gives them a score-function estimator (a cost that steps in
   * them, or `@reinforce`): drawn with their value held constant and listed in `discrete` with
   * their log density, as a Gamma guide site is.
   */
  scored?: ReadonlySet<string>;
  /** Given unconstrained values [S, autoDim] of the automatic latents instead of guide draws (init.ts's mode search). */
  u?: tf.Tensor;
  /**
   * Train in the whitened coordinates of a Laplace start (init.ts): the guide's draw u' becomes
   * shift + scale·u' (scale [D] diagonal, or [D, D] lower triangular), logDet = log|det scale|.
   */
  precondition?: { shift: tf.Tensor; scale: tf.Tensor; logDet: number };
  /** A minibatch (or chunk) of the plate: setup and layout are then its batched views (batch.ts). */
  batch?: BatchView;
}

/** The parameter blocks of a flat vector by key (layout.ts), shaped. */
export type BlockViews = (key: string) => tf.Tensor;

/**
 * The blocks of the flat vector, cut by one split on first use: its gradient is one concat,
 * where a slice per block costs a pad per block and the adds that sum them.
 */
export function blockViews(flat: tf.Tensor, layout: Layout): BlockViews {
  const blocks = [...layout.blocks.values()];
  const contiguous = blocks.length > 1 && flat.rank === 1 && blocks.reduce((n, b) => (b.offset === n ? n + b.size : NaN), 0) === flat.size;
  let parts: Map<string, tf.Tensor> | undefined;
  return (key) => {
    const b = layout.blocks.get(key);
    if (!b) throw new Error(`internal: no block '${key}'`);
    if (!contiguous) return tf.slice(flat, [b.offset], [b.size]).reshape(b.shape);
    if (!parts) {
      const pieces = tf.split(flat, blocks.map((x) => x.size));
      parts = new Map(blocks.map((x, i) => [x.key, pieces[i]!]));
    }
    let v = parts.get(key)!;
    if (v.rank !== b.shape.length || v.shape.some((d, i) => d !== b.shape[i])) parts.set(key, (v = v.reshape(b.shape)));
    return v;
  };
}

function constrainParam(u: tf.Tensor, c: Constraint): tf.Tensor {
  const ordered = bijectorForConstraint(c);
  if (ordered) return ordered.forward(u);
  switch (c) {
    case 'positive':
      return ops.exp(u);
    case 'unit':
      return ops.sigmoid(u);
    default:
      return u;
  }
}

/** Lower-triangular Cholesky factor from the packed row-major parameters (diagonal on log scale). */
function choleskyFactor(packed: tf.Tensor, D: number): { L: tf.Tensor; sumLogDiag: tf.Tensor } {
  const index: number[] = [];
  const diag: number[] = [];
  let k = 0;
  const rowStart: number[] = [];
  for (let i = 0; i < D; i++) {
    rowStart.push(k);
    k += i + 1;
  }
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) index.push(j < i ? rowStart[i]! + j : k); // k points at an appended zero
    diag.push(rowStart[i]! + i);
  }
  const withZero = tf.concat([packed, tf.zeros([1])]);
  const strict = constantGather(withZero, index).reshape([D, D]);
  const logDiag = constantGather(packed, diag);
  return { L: tf.add(strict, tf.mul(tf.eye(D), ops.exp(logDiag).reshape([1, D]))), sumLogDiag: tf.sum(logDiag) };
}

/** x[index] for constant indices. */
function constantGather(x: tf.Tensor, index: number[]): tf.Tensor {
  return tf.gather(x, tf.tensor1d(index, 'int32'));
}

export function evaluateJoint(o: JointOptions, flat: tf.Tensor | BlockViews): Joint {
  const { setup, layout, S, rng } = o;
  const draw = o.drawDiscrete ?? plainDraw;
  const zeroS = () => tf.zeros([S]);
  let logp = zeroS();
  let logdet = zeroS();
  let logqExplicit = zeroS();
  let cost = zeroS();
  const terms: CostTerm[] = [];
  const discrete: DiscreteDraw[] = [];
  const batch = o.batch;
  let local = batch ? zeroS() : undefined;
  const scaleOf = (name: string) => (batch && batch.local.has(name) ? batch.scale : 1);
  /** acc + t, with t weighted when `name` is local to the batch; `elboSign` says how t enters the ELBO (for `local`). */
  const weighted = (acc: tf.Tensor, name: string, t: tf.Tensor, elboSign: 1 | -1): tf.Tensor => {
    if (!batch || !batch.local.has(name)) return tf.add(acc, t);
    local = elboSign === 1 ? tf.add(local!, t) : tf.sub(local!, t);
    return tf.add(acc, tf.mul(t, batch.scale));
  };

  // Params: constrained views of the flat vector.
  const view = typeof flat === 'function' ? flat : blockViews(flat, layout);
  const paramValues = new Map<string, tf.Tensor>();
  for (const p of setup.params) {
    const u = view(paramKey(p));
    paramValues.set(paramKey(p), isMatrixConstraint(p.constraint) ? MATRIX_BIJECTORS[p.constraint].forward(u.reshape([1, ...unconstrainedShapeOf(p.constraint, p.shape)])) : constrainParam(u.reshape([1, ...p.shape]), p.constraint));
  }

  // The automatic Gaussian guide over all its continuous latents at once.
  let u: tf.Tensor | undefined;
  let entropy: tf.Tensor = tf.scalar(0);
  let logqAuto = zeroS();
  if (o.u) u = o.u;
  else if (layout.autoDim > 0) {
    const D = layout.autoDim;
    const loc = view('q:loc');
    const eps = normalNoise([S, D], rng.int());
    let sumLog: tf.Tensor | undefined;
    if (batch?.autoIndex) {
      // The batch's slice of a mean-field guide: gradients reach only the gathered entries.
      if (layout.guide !== 'meanfield' || o.precondition) throw new Error('internal: a minibatch needs the mean-field guide in its own coordinates');
      const logscale = gatherFlat(view('q:logscale'), batch.autoIndex, BATCH_AUTO);
      u = tf.add(gatherFlat(loc, batch.autoIndex, BATCH_AUTO), tf.mul(ops.exp(logscale), eps));
      // Entropy per entry is logscale + ½(1 + log 2π); local entries are weighted by N/B.
      const isLocal = tf.tensor1d(batch.autoLocal!, 'float32');
      const perEntry = tf.add(logscale, 0.5 * (1 + LOG_2PI));
      const localPart = tf.sum(tf.mul(perEntry, isLocal));
      entropy = tf.add(tf.sum(tf.mul(perEntry, tf.sub(1, isLocal))), tf.mul(localPart, batch.scale));
      local = tf.add(local!, localPart);
      if (o.withLogq) logqAuto = tf.sub(tf.sub(tf.mul(-0.5, tf.sum(tf.square(eps), 1)), tf.sum(logscale)), (D / 2) * LOG_2PI);
    } else if (layout.guide === 'meanfield') {
      const logscale = view('q:logscale');
      u = tf.add(loc, tf.mul(ops.exp(logscale), eps));
      sumLog = tf.sum(logscale);
    } else {
      const chol = choleskyFactor(view('q:tril'), D);
      u = tf.add(loc, tf.matMul(eps, chol.L, false, true));
      sumLog = chol.sumLogDiag;
    }
    if (o.precondition && sumLog) {
      const p = o.precondition;
      u = tf.add(p.shift, p.scale.rank === 1 ? tf.mul(u!, p.scale) : tf.matMul(u!, p.scale, false, true));
      sumLog = tf.add(sumLog, p.logDet);
    }
    if (sumLog) {
      entropy = tf.add(sumLog, (D / 2) * (1 + LOG_2PI));
      if (o.withLogq) logqAuto = tf.sub(tf.sub(tf.mul(-0.5, tf.sum(tf.square(eps), 1)), sumLog), (D / 2) * LOG_2PI);
    }
  }

  // A latent's columns of u [S, D]. tfjs's cpu kernel copies a column slice element by element
  // through a generic index path (40 ms for the 1,000 posterior draws of eight schools); with many
  // draws, rows of uᵀ (contiguous: a copy of one run) transposed back cost two fast kernels instead.
  let uT: tf.Tensor | undefined;
  const columnsOf = (offset: number, size: number): tf.Tensor => {
    // A 1×1 correlation matrix has no free values (and may be the only latent, leaving no u).
    if (size === 0) return tf.zeros([S, 0]);
    if (S < MANY_DRAWS || size === u!.shape[1]) return tf.slice(u!, [0, offset], [S, size]);
    uT ??= tf.transpose(u!);
    return tf.transpose(tf.slice(uT, [offset, 0], [size, S]));
  };

  const objectives: { value: tf.Tensor; span: Span }[] = [];
  const addObjective = (v: Val, sign: 1 | -1, span: Span) => {
    const t = sumLogical(toTensor(v));
    const signed = sign === 1 ? t : tf.neg(t);
    objectives.push({ value: signed, span });
    cost = tf.add(cost, signed);
  };

  // The explicit guide block runs first; the model replays its draws.
  let guideEnv: Map<string, Val> | undefined;
  if (setup.program.guide) {
    const gHandlers: Handlers = {
      param: (name) => paramValues.get(paramKey({ scope: 'guide', name }))!,
      sample(ev) {
        const fam = ev.site.family;
        if (fam.discrete) {
          const logits = logitsOf(fam.name, ev.params);
          const d = draw({ ev, q: ev.dist, logits, S, rng });
          discrete.push({ name: ev.site.name, site: ev.site, element: ev.element, value: d.value, logq: d.logq, logits, pathwise: d.pathwise, scale: scaleOf(ev.site.name) });
          if (local && batch!.local.has(ev.site.name)) local = tf.sub(local, sumLogical(d.logq));
          return d.value;
        }
        const dist = ev.dist;
        const shape = [S, ...ev.shape];
        // A score-function site's draw is held constant (its gradient comes from its log q).
        const scored = !fam.reparam || !!o.scored?.has(ev.site.name);
        const seed = rng.int();
        const rsample = fam.reparam && dist.rsample;
        const drawn = rsample ? dist.rsample!(shape, seed) : dist.sample(shape, seed);
        const value = scored ? ops.detach(drawn) : drawn;
        // log q enters the ELBO negatively; logqExplicit holds it with a plus sign. A scored
        // site's log q is in `discrete` instead, as a discrete site's is (counted once).
        if (!scored) logqExplicit = weighted(logqExplicit, ev.site.name, sumLogical(dist.logProb(value)), -1);
        else {
          const logq = dist.logProb(value);
          discrete.push({ name: ev.site.name, site: ev.site, element: ev.element, value, logq, logits: null, scale: scaleOf(ev.site.name), ...(rsample ? { redraw: { params: ev.params, seed, shape } } : {}) });
          if (local && batch!.local.has(ev.site.name)) local = tf.sub(local, sumLogical(logq));
        }
        return value;
      },
      observe(ev) {
        throw new EvalError(`the guide cannot observe '${ev.site.name}'`, ev.site.stmt.span);
      },
    };
    const g = new Interpreter(setup.guideRun, gHandlers, setup.dataEnv);
    g.run(setup.program.guide.span ? guideBody(setup) : []);
    guideEnv = g.env;
    for (const v of setup.latents) if (v.explicit && !guideEnv.has(v.name)) guideEnv.set(v.name, g.lookup(v.name, v.sites[0]!.stmt.span));
  }

  const handlers: Handlers = {
    param: (name) => paramValues.get(paramKey({ scope: 'model', name }))!,
    sample(ev) {
      const name = ev.site.name;
      const latent = setup.latents.find((l) => l.name === name)!;
      let value: tf.Tensor | Soft;
      if (latent.explicit) {
        const g = guideEnv!.get(name)!;
        value = g instanceof Soft ? g : toTensor(g);
        for (const i of ev.element) value = value instanceof Soft ? new Soft(sliceAt(value.weights, i)) : sliceAt(value, i);
      } else if (!latent.discrete && o.mode === 'optimisation') {
        // Drawn from its own distribution: pathwise when the family allows it and the plan wants it.
        const shape = [S, ...ev.shape];
        const pathwise = ev.site.family.reparam && ev.dist.rsample;
        const seed = rng.int();
        if (pathwise && !o.scored?.has(name)) value = ev.dist.rsample!(shape, seed);
        else {
          // The same draw either way (one stream), held constant: its gradient comes from its score.
          const v = ops.detach(pathwise ? ev.dist.rsample!(shape, seed) : ev.dist.sample(shape, seed));
          discrete.push({ name, site: ev.site, element: ev.element, value: v, logq: ev.dist.logProb(v), logits: null, scale: 1, ...(pathwise ? { redraw: { params: ev.params, seed, shape } } : {}) });
          value = v;
        }
      } else if (!latent.discrete) {
        const slot = layout.slots.get(name)!;
        let us = columnsOf(slot.offset, slot.size).reshape([S, ...slot.ushape]);
        for (const i of ev.element) us = sliceAt(us, i);
        const declared = bijectorForConstraint(latent.constraint);
        if (!declared && ev.site.family.support.kind === 'real') value = us; // identity: no copy, no zero log-Jacobian
        else {
          const bij = declared ?? bijectorFor(ev.site.family.support, { low: ev.params['low'], high: ev.params['high'] });
          value = bij.forward(us);
          logdet = weighted(logdet, name, sumLogical(padRank(bij.logDetJacobian(us), 0)), 1);
        }
      } else if (o.mode === 'optimisation') {
        const logits = logitsOf(ev.site.family.name, ev.params);
        const d = draw({ ev, q: ev.dist, logits, S, rng });
        discrete.push({ name, site: ev.site, element: ev.element, value: d.value, logq: d.logq, logits, pathwise: d.pathwise, scale: 1 });
        value = d.value;
      } else {
        let raw = view(`q:logits:${name}`);
        const g = batch?.logits.get(name);
        if (g) raw = gatherFlat(raw.reshape([-1]), g.index, batchLogitsKey(name)).reshape(g.shape);
        raw = raw.reshape([1, ...raw.shape]);
        for (const i of ev.element) raw = sliceAt(raw, i);
        const { family: guideFamily, params } = guideParams(ev, raw);
        const q = makeDistribution(guideFamily, params);
        const logits = logitsOf(guideFamily, params);
        const d = draw({ ev, q, logits, S, rng });
        discrete.push({ name, site: ev.site, element: ev.element, value: d.value, logq: d.logq, logits, pathwise: d.pathwise, scale: scaleOf(name) });
        if (local && batch!.local.has(name)) local = tf.sub(local, sumLogical(d.logq));
        value = d.value;
      }
      if (o.mode === 'inference') {
        const lp = logProbAt(ev.dist, value);
        terms.push({ name, observed: false, value: lp, span: ev.site.stmt.span, scale: scaleOf(name), family: ev.site.family.name, params: ev.params });
        logp = weighted(logp, name, sumLogical(lp), 1);
      }
      return value;
    },
    observe(ev, value) {
      if (o.replicate) o.replicate(ev, ev.dist.sample([S, ...ev.shape], rng.int()));
      const lp = ev.dist.logProb(value);
      terms.push({ name: ev.site.name, observed: true, value: lp, span: ev.site.stmt.span, scale: scaleOf(ev.site.name), family: ev.site.family.name, params: familyParams(ev.params) });
      logp = weighted(logp, ev.site.name, sumLogical(lp), 1);
    },
    objective: (v, sign, span) => addObjective(v, sign, span),
    factor(v, stmt) {
      // A term of the log density, like an observation's: it enters logp and, under the cost node's
      // name, the signals of the discrete latents it reads.
      const lp = toTensor(hard(v));
      const t = lp.rank === 0 ? lp.reshape([1]) : lp;
      const name = targetTermId(stmt.span);
      terms.push({ name, observed: true, value: t, span: stmt.span, scale: 1, family: 'target', params: {} });
      logp = tf.add(logp, sumLogical(t));
    },
  };
  const m = new Interpreter(setup.modelRun, handlers, setup.dataEnv);
  m.run(setup.program.ast.body);

  return { S, logp, logdet, logqExplicit, logqAuto, entropy, cost, terms, objectives, discrete, env: m.env, u, local };
}

function guideBody(setup: Setup) {
  const g = setup.program.ast.body.find((s) => s.kind === 'guide');
  return g && g.kind === 'guide' ? g.body : [];
}

/**
 * The automatic guide of a discrete latent, from its free logits: the model's family where
 * its parameters can be free (Bernoulli, Categorical, Binomial, Poisson, Geometric), else a
 * family of the same support (OrderedLogistic, OrderedProbit → Categorical over its K values, BetaBinomial →
 * Binomial of the same total_count, the negative binomials → Poisson).
 */
export function guideParams(ev: SiteEvent, logits: tf.Tensor): { family: string; params: Params } {
  const fam = ev.site.family.name;
  if (fam === 'Bernoulli' || fam === 'Categorical') return { family: fam, params: { logits } };
  if (fam === 'OrderedLogistic' || fam === 'OrderedProbit') return { family: 'Categorical', params: { logits } };
  if (fam === 'Binomial' || fam === 'BetaBinomial') return { family: 'Binomial', params: { total_count: ev.params['total_count']!, logits } };
  if (fam === 'Poisson' || fam === 'NegBinomial' || fam === 'NegBinomial2') return { family: 'Poisson', params: { rate: ops.exp(logits) } };
  if (fam === 'Geometric') return { family: fam, params: { probs: ops.sigmoid(logits) } };
  throw new Error(`no automatic guide for ${fam}`);
}
