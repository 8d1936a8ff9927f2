// Posterior draws on the compiled engine: the program that makes one draw (the guide's sample,
// every named value, each observation's replicate and the importance weight for PSIS) is traced
// once at one particle and run as generated JavaScript once per draw. On tfjs's cpu backend the
// same 1,000 draws in one batched pass cost most of a small model's fit (65 ms of normal–normal's
// 110: broadcasting kernels copy element by element); compiled they take a few milliseconds.

import { tf } from '../backend.js';
import type { Rng } from '../rng.js';
import { sizeOf } from './ir.js';
import { lowerJs } from './lower-js.js';
import { simplify, type Simplified } from './simplify.js';
import { fillNoise, noiseBuffers } from './step-js.js';
import { traceStateless, type Outputs } from './trace.js';

/** Scalar operations the extra importance weights may cost in all (about a second). */
const TOP_UP_WORK = 1e9;

/** One output's draws: the shape of one draw (without the particle dimension) and n of them, in order. */
export interface Draws {
  shape: number[];
  values: Float32Array;
}

/**
 * `n` draws of each tensor `one(flat)` returns, where `one` evaluates a single particle (every
 * output has a leading dimension of 1); the noise comes from `rng`. The reason instead when
 * `one` cannot be traced (a draw made outside noise.ts, a value read back, a kernel with no rule).
 */
export function drawCompiled(
  flat: Float32Array,
  one: (flat: tf.Tensor) => Record<string, tf.Tensor>,
  n: number,
  rng: Rng,
  /** Further draws of one output only (PSIS's importance weights), from their own stream; kept under `${name}+`. */
  more?: { name: string; n: number; rng: Rng },
  /** Values all draws may hold: fewer than `n` draws are made when one holds more than maxValues / n (every output holds as many). */
  maxValues = Infinity,
): Map<string, Draws> | { reason: string } {
  const traced = traceDraw(flat, one, n, maxValues);
  if ('reason' in traced) return traced;
  const { t, s, ids, outputs, kept } = traced;
  const js = lowerJs(s.program, ids);
  js.buffers[s.id(t.params[0]!)]?.set(flat);
  const noise = noiseBuffers(t.noise, s.program, js.buffers, s.id);
  const out = outputs.map((o, k) => ({ ...o, buffer: js.buffers[ids[k]!]! }));
  for (let d = 0; d < kept; d++) {
    fillNoise(noise, rng);
    js.run();
    for (const o of out) o.draws.values.set(o.buffer, d * o.size);
  }
  const result = new Map(out.map((o) => [o.name, o.draws]));
  const k = more ? outputs.findIndex((o) => o.name === more.name) : -1;
  if (more && k >= 0 && more.n > 0) {
    // A program of that output alone: it draws only the noise the output reads (not the replicates').
    const alone = lowerJs(s.program, [ids[k]!]);
    alone.buffers[s.id(t.params[0]!)]?.set(flat);
    const itsNoise = noiseBuffers(t.noise, s.program, alone.buffers, s.id);
    const buffer = alone.buffers[ids[k]!]!;
    const size = out[k]!.size;
    // Topping up is for models whose one draw costs microseconds: at most TOP_UP_WORK scalar operations.
    const extra = Math.min(more.n, Math.floor(TOP_UP_WORK / Math.max(1, alone.work)));
    const values = new Float32Array(extra * size);
    for (let d = 0; d < extra; d++) {
      fillNoise(itsNoise, more.rng);
      alone.run();
      values.set(buffer, d * size);
    }
    result.set(`${more.name}+`, { shape: out[k]!.draws.shape, values });
  }
  return result;
}

/**
 * The one-particle draw program, traced and simplified, with each output's draws allocated: `kept`
 * of them (fewer than `n` when all would hold more than `maxValues` values). Both lowerings of the
 * draws start here (draws-tfjs.ts).
 */
export interface TracedDraw {
  t: Outputs;
  s: Simplified;
  /** Each output's node in the simplified program. */
  ids: number[];
  outputs: { name: string; size: number; draws: Draws }[];
  kept: number;
}

export function traceDraw(flat: Float32Array, one: (flat: tf.Tensor) => Record<string, tf.Tensor>, n: number, maxValues: number): TracedDraw | { reason: string } {
  const t = traceStateless(flat, one, { inputs: false });
  if ('reason' in t) return t;
  const names = Object.keys(t.program.outputs);
  const s = simplify(t.program);
  const ids = names.map((k) => s.id(t.program.outputs[k]!));
  // The traced nodes' shapes: simplification may stand a node of another shape and the same size in for one.
  const shapes = names.map((name) => t.program.nodes[t.program.outputs[name]!]!.shape);
  const kept = Math.min(n, Math.max(1, Math.floor(maxValues / Math.max(1, shapes.reduce((a, sh) => a + sizeOf(sh), 0)))));
  const outputs = names.map((name, k) => {
    const shape = shapes[k]!;
    if (shape[0] !== 1) throw new Error(`internal: the draw of '${name}' has shape [${shape}], not one particle`);
    const size = sizeOf(shape);
    return { name, size, draws: { shape: shape.slice(1), values: new Float32Array(kept * size) } };
  });
  return { t, s, ids, outputs, kept };
}
