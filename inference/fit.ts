// The fit loop: Adam (or sgd/rmsprop) on one flat Variable, one tf.tidy per step,
// ELBO values read back only every `evalEvery` steps, convergence by the relative
// change of the windowed ELBO (Stan ADVI's tol_rel_obj rule), then a short phase
// of iterate averaging so the reported posterior is not one noisy Adam iterate.

import { tf } from './backend.js';
import { evaluateJoint, type Joint, type JointOptions } from './joint.js';
import type { Layout } from './layout.js';
import { basicObjective, type Objective } from './objective.js';
import type { Rng } from './rng.js';
import type { Setup } from './setup.js';
import { sumLogical } from './values.js';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

export interface Progress {
  step: number;
  /** Mean of the per-step ELBO estimates since the previous event. */
  elbo: number;
  /** Exponentially smoothed ELBO across events. */
  smoothedElbo: number;
  stepsPerSecond: number;
  /** 'optimise' until convergence, then 'average' while iterates are averaged. */
  phase: 'optimise' | 'average';
  maxSteps: number;
}

export interface LoopOptions {
  steps: number;
  lr: number;
  optimizer: OptimizerName;
  evalEvery: number;
  tolRelObj: number;
  /** Steps of iterate averaging after convergence, as a fraction of the steps taken (at least evalEvery). */
  averageFraction: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Builds the step's objective from one joint evaluation (engine II supplies estimator-aware ones). */
  objective?: (j: Joint) => Objective;
  /** Called after each optimiser step inside the step's tidy (estimator state updates). */
  afterStep?: () => void;
}

export interface LoopResult {
  /** Final parameter values (averaged over the last phase). */
  flat: Float32Array;
  trace: number[];
  steps: number;
  converged: boolean;
  stopped: 'converged' | 'max-steps' | 'aborted';
  seconds: number;
}

/** A fit that cannot go on: names the site and suggests a fix. */
export class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}

function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    default:
      return tf.train.adam(lr);
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

export async function runLoop(
  joint: Omit<JointOptions, 'rng'> & { rng: Rng },
  init: Float32Array,
  o: LoopOptions,
): Promise<LoopResult> {
  const flat = tf.variable(tf.tensor1d(init), true, 'tilde/flat');
  const optimizer = makeOptimizer(o.optimizer, o.lr);
  const objective = o.objective ?? ((j: Joint) => basicObjective(j, joint.mode));
  const trace: number[] = [];
  const pending: tf.Tensor[] = [];
  const relChanges: number[] = [];
  const cbSize = Math.max(2, Math.round((0.1 * o.steps) / o.evalEvery));
  let prevWindow: number | undefined;
  let smoothed: number | undefined;
  let phase: 'optimise' | 'average' = 'optimise';
  let averageUntil = Infinity;
  let avg: tf.Variable | undefined;
  let avgCount = 0;
  let stopped: LoopResult['stopped'] = 'max-steps';
  const t0 = performance.now();
  let tLast = t0;
  let step = 0;

  try {
    while (step < o.steps) {
      step++;
      const loss = tf.tidy(() => {
        const l = optimizer.minimize(() => objective(evaluateJoint(joint, flat)).loss as tf.Scalar, true, [flat])!;
        o.afterStep?.();
        return l;
      });
      pending.push(loss);
      if (phase === 'average') {
        tf.tidy(() => {
          avgCount++;
          avg!.assign(tf.add(avg!, tf.div(tf.sub(flat, avg!), avgCount)));
        });
      }
      if (step % o.evalEvery !== 0 && step !== o.steps && step < averageUntil) continue;

      // Read back the window's ELBO estimates in one transfer.
      const stacked = tf.stack(pending);
      const values = await stacked.data();
      stacked.dispose();
      pending.forEach((t) => t.dispose());
      pending.length = 0;
      let sum = 0;
      for (const v of values) {
        const elbo = -v;
        trace.push(elbo);
        sum += elbo;
      }
      const window = sum / values.length;
      if (!Number.isFinite(window)) {
        throw new FitError(describeNonFinite(joint, flat, step));
      }
      smoothed = smoothed === undefined ? window : 0.7 * smoothed + 0.3 * window;
      const now = performance.now();
      o.onProgress?.({ step, elbo: window, smoothedElbo: smoothed, stepsPerSecond: (values.length * 1000) / Math.max(1e-9, now - tLast), phase, maxSteps: o.steps });
      tLast = now;
      if (o.signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      if (step >= averageUntil) {
        stopped = stopped === 'max-steps' ? 'converged' : stopped;
        break;
      }
      if (phase === 'optimise' && prevWindow !== undefined) {
        relChanges.push(Math.abs((window - prevWindow) / Math.max(Math.abs(window), 1e-8)));
        if (relChanges.length > cbSize) relChanges.shift();
        const mean = relChanges.reduce((a, b) => a + b, 0) / relChanges.length;
        const median = [...relChanges].sort((a, b) => a - b)[Math.floor(relChanges.length / 2)]!;
        if (relChanges.length >= 2 && (mean < o.tolRelObj || median < o.tolRelObj)) {
          phase = 'average';
          stopped = 'converged';
          averageUntil = Math.min(o.steps, step + Math.max(o.evalEvery, Math.round(step * o.averageFraction)));
          avg = tf.variable(flat.clone(), false);
          avgCount = 0;
        }
      }
      prevWindow = window;
      await yieldToEventLoop();
    }
    const final = avg && avgCount > 0 ? avg : flat;
    const out = (await final.data()) as Float32Array;
    return {
      flat: Float32Array.from(out),
      trace,
      steps: step,
      converged: phase === 'average',
      stopped: stopped === 'aborted' ? 'aborted' : phase === 'average' ? 'converged' : 'max-steps',
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    pending.forEach((t) => t.dispose());
    flat.dispose();
    avg?.dispose();
    optimizer.dispose();
  }
}

/** Which term went non-finite, for the error message. */
function describeNonFinite(joint: Omit<JointOptions, 'rng'> & { rng: Rng }, flat: tf.Variable, step: number): string {
  const params = flat.dataSync();
  const badParam = [...joint.layout.blocks.values()].find((b) => params.subarray(b.offset, b.offset + b.size).some((x) => !Number.isFinite(x)));
  const where = tf.tidy(() => {
    if (badParam) return `parameters of ${describeBlock(badParam.key)} are not finite`;
    const j = evaluateJoint(joint, flat);
    for (const t of j.terms) {
      const v = sumLogical(t.value).dataSync();
      if (v.some((x) => !Number.isFinite(x))) {
        return `the log-density of '${t.name}' (${joint.setup.program.file}:${t.span.start.line}:${t.span.start.column}) is ${v.find((x) => !Number.isFinite(x))}`;
      }
    }
    return 'the objective is not finite';
  });
  return `the ELBO became non-finite at step ${step}: ${where}. Try a smaller learning rate (--lr).`;
}

function describeBlock(key: string): string {
  const [kind, a, b] = key.split(':');
  if (kind === 'param') return `param '${b}'${a === 'guide' ? ' (guide)' : ''}`;
  if (kind === 'q' && a === 'logits') return `the guide of '${b}'`;
  return 'the automatic guide';
}
