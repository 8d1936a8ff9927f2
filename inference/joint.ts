// One evaluation of guide and model over S particles: draws every latent from q,
// scores the model at those values, and returns the pieces of the objective as
// tensors kept over particles (so estimators can form per-particle signals).
// The same function serves the training step (flat = the Variable) and posterior
// draws (flat = the fitted values, S = number of draws).

import type { SiteInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';
import { tf } from './backend.js';
import { makeDistribution, type Params } from './distributions/index.js';
import { EvalError, Interpreter, type Handlers, type SiteEvent } from './evaluate.js';
import { paramKey, type Layout } from './layout.js';
import * as ops from './ops.js';
import type { Rng } from './rng.js';
import type { Setup } from './setup.js';
import { bijectorFor } from './transforms.js';
import { padRank, sumLogical, toTensor, type Val } from './values.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** A discrete latent drawn from its guide: what a score-function or RELAX estimator needs. */
export interface DiscreteDraw {
  name: string;
  site: SiteInfo;
  value: tf.Tensor;
  /** log q(value), shape [S, ...batch], differentiable in the guide's parameters. */
  logq: tf.Tensor;
  /** The guide's logits (Bernoulli: same shape as value; Categorical: plus K). */
  logits: tf.Tensor;
}

/** A model log-density term, kept with where it came from (for Rao-Blackwellised signals). */
export interface CostTerm {
  name: string;
  observed: boolean;
  /** Shape [S or 1, ...batch]. */
  value: tf.Tensor;
  span: Span;
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
  discrete: DiscreteDraw[];
  /** The model's values after the run (latents, deterministics, data, params). */
  env: Map<string, Val>;
  /** Automatic-guide draws in unconstrained space, [S, autoDim] (absent when autoDim = 0). */
  u?: tf.Tensor;
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
  drawDiscrete?: (ev: SiteEvent, guideLogits: tf.Tensor | null, S: number, rng: Rng) => { value: tf.Tensor; logq: tf.Tensor; logits: tf.Tensor };
}

function view(flat: tf.Tensor, layout: Layout, key: string): tf.Tensor {
  const b = layout.blocks.get(key);
  if (!b) throw new Error(`internal: no block '${key}'`);
  return tf.slice(flat, [b.offset], [b.size]).reshape(b.shape);
}

function constrainParam(u: tf.Tensor, c: string): tf.Tensor {
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
  const strict = tf.gather(withZero, tf.tensor1d(index, 'int32')).reshape([D, D]);
  const logDiag = tf.gather(packed, tf.tensor1d(diag, 'int32'));
  return { L: tf.add(strict, tf.mul(tf.eye(D), ops.exp(logDiag).reshape([1, D]))), sumLogDiag: tf.sum(logDiag) };
}

export function evaluateJoint(o: JointOptions, flat: tf.Tensor): Joint {
  const { setup, layout, S, rng } = o;
  const zeroS = () => tf.zeros([S]);
  let logp = zeroS();
  let logdet = zeroS();
  let logqExplicit = zeroS();
  let cost = zeroS();
  const terms: CostTerm[] = [];
  const discrete: DiscreteDraw[] = [];

  // Params: constrained views of the flat vector.
  const paramValues = new Map<string, tf.Tensor>();
  for (const p of setup.params) {
    const u = view(flat, layout, paramKey(p));
    paramValues.set(paramKey(p), constrainParam(u.reshape([1, ...p.shape]), p.constraint));
  }

  // The automatic Gaussian guide over all its continuous latents at once.
  let u: tf.Tensor | undefined;
  let entropy: tf.Tensor = tf.scalar(0);
  let logqAuto = zeroS();
  if (layout.autoDim > 0) {
    const D = layout.autoDim;
    const loc = view(flat, layout, 'q:loc');
    const eps = tf.randomNormal([S, D], 0, 1, 'float32', rng.int());
    const halfSq = tf.mul(-0.5, tf.sum(tf.square(eps), 1));
    if (layout.guide === 'meanfield') {
      const logscale = view(flat, layout, 'q:logscale');
      u = tf.add(loc, tf.mul(ops.exp(logscale), eps));
      const sumLog = tf.sum(logscale);
      entropy = tf.add(sumLog, (D / 2) * (1 + LOG_2PI));
      logqAuto = tf.sub(tf.sub(halfSq, sumLog), (D / 2) * LOG_2PI);
    } else {
      const { L, sumLogDiag: sumLog } = choleskyFactor(view(flat, layout, 'q:tril'), D);
      u = tf.add(loc, tf.matMul(eps, L, false, true));
      entropy = tf.add(sumLog, (D / 2) * (1 + LOG_2PI));
      logqAuto = tf.sub(tf.sub(halfSq, sumLog), (D / 2) * LOG_2PI);
    }
  }

  const addObjective = (v: Val, sign: 1 | -1) => {
    const t = sumLogical(toTensor(v));
    cost = tf.add(cost, sign === 1 ? t : tf.neg(t));
  };

  // The explicit guide block runs first; the model replays its draws.
  let guideEnv: Map<string, Val> | undefined;
  if (setup.program.guide) {
    const gHandlers: Handlers = {
      param: (name) => paramValues.get(paramKey({ scope: 'guide', name }))!,
      sample(ev) {
        const fam = ev.site.family;
        if (fam.discrete) {
          const d = o.drawDiscrete
            ? o.drawDiscrete(ev, null, S, rng)
            : defaultDiscreteDraw(ev, S, rng);
          discrete.push({ name: ev.site.name, site: ev.site, value: d.value, logq: d.logq, logits: d.logits });
          return d.value;
        }
        const dist = ev.dist;
        const shape = [S, ...ev.shape];
        const value = fam.reparam && dist.rsample ? dist.rsample(shape, rng.int()) : ops.detach(dist.sample(shape, rng.int()));
        const lq = sumLogical(dist.logProb(value));
        logqExplicit = tf.add(logqExplicit, lq);
        if (!fam.reparam) discrete.push({ name: ev.site.name, site: ev.site, value, logq: dist.logProb(value), logits: value });
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
      let value: tf.Tensor;
      if (latent.explicit) {
        value = toTensor(guideEnv!.get(name)!);
        for (const i of ev.element) value = tf.gather(value, i, 1);
      } else if (!latent.discrete) {
        const slot = layout.slots.get(name)!;
        let us = tf.slice(u!, [0, slot.offset], [S, slot.size]).reshape([S, ...slot.ushape]);
        for (const i of ev.element) us = tf.gather(us, i, 1);
        const bij = bijectorFor(ev.site.family.support, { low: ev.params['low'], high: ev.params['high'] });
        value = bij.forward(us);
        logdet = tf.add(logdet, sumLogical(padRank(bij.logDetJacobian(us), 0)));
      } else if (o.mode === 'optimisation') {
        const d = o.drawDiscrete ? o.drawDiscrete(ev, null, S, rng) : defaultDiscreteDraw(ev, S, rng);
        discrete.push({ name, site: ev.site, value: d.value, logq: d.logq, logits: d.logits });
        value = d.value;
      } else {
        let logits = view(flat, layout, `q:logits:${name}`);
        logits = logits.reshape([1, ...logits.shape]);
        for (const i of ev.element) logits = tf.gather(logits, i, 1);
        const d = o.drawDiscrete ? o.drawDiscrete(ev, logits, S, rng) : guideDiscreteDraw(ev, logits, S, rng);
        discrete.push({ name, site: ev.site, value: d.value, logq: d.logq, logits: d.logits });
        value = d.value;
      }
      if (o.mode === 'inference') {
        const lp = ev.dist.logProb(value);
        terms.push({ name, observed: false, value: lp, span: ev.site.stmt.span });
        logp = tf.add(logp, sumLogical(lp));
      }
      return value;
    },
    observe(ev, value) {
      if (o.replicate) o.replicate(ev, ev.dist.sample([S, ...ev.shape], rng.int()));
      const lp = ev.dist.logProb(value);
      terms.push({ name: ev.site.name, observed: true, value: lp, span: ev.site.stmt.span });
      logp = tf.add(logp, sumLogical(lp));
    },
    objective: (v, sign) => addObjective(v, sign),
  };
  const m = new Interpreter(setup.modelRun, handlers, setup.dataEnv);
  m.run(setup.program.ast.body);

  return { S, logp, logdet, logqExplicit, logqAuto, entropy, cost, terms, discrete, env: m.env, u };
}

function guideBody(setup: Setup) {
  const g = setup.program.ast.body.find((s) => s.kind === 'guide');
  return g && g.kind === 'guide' ? g.body : [];
}

/** A discrete site drawn from its own distribution (optimisation mode), scored by its log-probability. */
function defaultDiscreteDraw(ev: SiteEvent, S: number, rng: Rng) {
  const value = ev.dist.sample([S, ...ev.shape], rng.int());
  return { value, logq: ev.dist.logProb(value), logits: value };
}

/** A discrete latent drawn from the automatic guide: the model's family with free logits. */
function guideDiscreteDraw(ev: SiteEvent, logits: tf.Tensor, S: number, rng: Rng) {
  const q = makeDistribution(ev.site.family.name, guideParams(ev, logits));
  const value = q.sample([S, ...ev.shape], rng.int());
  return { value, logq: q.logProb(value), logits };
}

export function guideParams(ev: SiteEvent, logits: tf.Tensor): Params {
  const fam = ev.site.family.name;
  if (fam === 'Bernoulli' || fam === 'Categorical') return { logits };
  if (fam === 'Binomial') return { total_count: ev.params['total_count']!, logits };
  if (fam === 'Poisson') return { rate: ops.exp(logits) };
  if (fam === 'Geometric') return { probs: ops.sigmoid(logits) };
  throw new Error(`no automatic guide for ${fam}`);
}
