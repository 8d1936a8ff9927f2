// Minibatches along a plate (issue 6). A step with batch size B runs the ordinary
// interpreter on a model whose plate has B entries: data rows and the local latents'
// mean-field guide parameters are gathered at B distinct plate indices, and every
// local log-density term (model and guide) is weighted by N/B so the ELBO estimate
// stays unbiased for the full data. Globals are untouched.

import { affineOf } from '../language/shapes.js';
import type { Span } from '../language/span.js';
import { tf } from './backend.js';
import { traceHooks } from './compile/hooks.js';
import type { AutoSlot, Layout } from './layout.js';
import type { Rng } from './rng.js';
import type { Setup } from './setup.js';
import type { Val } from './values.js';

/** What a fit knows about its plate, computed once. */
export interface PlateInfo {
  plate: string;
  /** Where the plate is declared (named in errors). */
  span: Span;
  N: number;
  /** Data arrays that carry the plate, with its axis in their shape. */
  dataAxes: Map<string, number>;
  /** Every model name (latent or observed data) whose shape carries the plate, with the axis. */
  localAxes: Map<string, number>;
  /** The model has this one plate, never shifted (`N-1`): it can be split into batches or chunks. */
  splittable: boolean;
}

/** One step's view of the plate: which entries, and how local terms are weighted. */
export interface BatchView {
  plate: string;
  N: number;
  /** Plate indices of this batch, ascending, distinct. */
  indices: Int32Array;
  /** Weight of local terms: N/B when training on a minibatch, 1 for full-data chunks. */
  scale: number;
  /** Names of sites local to the plate (their terms carry `scale`). */
  local: ReadonlySet<string>;
  /** Positions in the full automatic-guide vector u of the batched u's entries (null: no automatic guide). */
  autoIndex: Int32Array | null;
  /** Per entry of the batched u: does it belong to a local latent (weighted in the entropy)? */
  autoLocal: Uint8Array | null;
  /** Per discrete automatic guide: positions in its full logits block, and the batched shape. */
  logits: Map<string, { index: Int32Array; shape: number[] }>;
}


/** What plate checks read: the program and its resolved sizes (a Setup, or the bound data before one). */
type Sized = Pick<Setup, 'program' | 'sizes'>;

const where = (s: Sized, span: Span) => `${s.program.file}:${span.start.line}:${span.start.column}`;

/** The plate of a model with exactly one; undefined when it has none. Throws for several (which one to subsample?). */
export function plateInfo(s: Sized): PlateInfo | undefined {
  const plates = [...s.program.symbols.values()].filter((x) => x.kind === 'plate');
  if (!plates.length) return undefined;
  const p = plates[0]!;
  const dataAxes = new Map<string, number>();
  const localAxes = new Map<string, number>();
  for (const sym of s.program.symbols.values()) {
    const axis = sym.type.shape.indexOf(p.name);
    if (axis < 0) continue;
    if (sym.kind === 'data') dataAxes.set(sym.name, axis);
    if (sym.kind === 'data' || sym.kind === 'latent') localAxes.set(sym.name, axis);
  }
  const shifted = [...s.sizes.keys()].some((k) => {
    const a = affineOf(k);
    return a.name === p.name && a.k !== 0;
  });
  return { plate: p.name, span: p.span, N: s.sizes.get(p.name)!, dataAxes, localAxes, splittable: plates.length === 1 && !shifted };
}

/** The checks `batchSize` needs; errors name the plate and what was expected. */
export function checkBatchable(s: Sized, B: number): PlateInfo {
  const file = s.program.file;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`fit option batchSize must be a positive integer, found ${B}`);
  const plates = [...s.program.symbols.values()].filter((x) => x.kind === 'plate');
  if (!plates.length) throw new RangeError(`fit option batchSize subsamples a plate, but ${file} declares none (add 'plate N' and use N as the first dimension of the per-datum arrays)`);
  if (plates.length > 1) {
    throw new RangeError(`fit option batchSize needs a model with one plate; ${file} declares ${plates.length} (${plates.map((p) => `'${p.name}' at ${where(s, p.span)}`).join(', ')})`);
  }
  if (s.program.mode === 'optimisation') throw new RangeError(`fit option batchSize applies to inference models (observations along plate '${plates[0]!.name}'), not to a stochastic objective`);
  const info = plateInfo(s)!;
  if (B > info.N) throw new RangeError(`fit option batchSize is ${B}, larger than plate '${info.plate}' (${where(s, info.span)}), which has ${info.N} entries in the data; expected 1..${info.N}`);
  for (const key of s.sizes.keys()) {
    const a = affineOf(key);
    if (a.name === info.plate && a.k !== 0) {
      throw new RangeError(`plate '${info.plate}' (${where(s, info.span)}) is used as '${key}' (a shifted or sliced dimension), so its entries are not independent and it cannot be subsampled; fit without batchSize`);
    }
  }
  return info;
}

/** A minibatch gathers local latents' guide entries one by one, which a full-rank guide's coupling forbids. */
export function checkBatchGuide(layout: Layout, plate: PlateInfo): void {
  if (layout.guide !== 'meanfield' && [...layout.slots.keys()].some((n) => plate.localAxes.has(n))) {
    throw new RangeError(`fit option batchSize needs the mean-field guide: the full-rank guide couples the local latents of plate '${plate.plate}'`);
  }
}

/**
 * Draws B distinct plate indices per step from the fit's own stream: a partial
 * Fisher–Yates shuffle of a permutation kept across steps (any starting order gives
 * a uniformly random B-subset), sorted so gathers read rows in order.
 */
export class IndexSampler {
  private readonly perm: Int32Array;

  constructor(
    readonly N: number,
    readonly B: number,
    private readonly rng: Rng,
  ) {
    this.perm = Int32Array.from({ length: N }, (_, i) => i);
  }

  next(): Int32Array {
    const p = this.perm;
    for (let i = 0; i < this.B; i++) {
      const j = i + Math.floor(this.rng.uniform() * (this.N - i));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p.slice(0, this.B).sort();
  }
}

/** Positions in a row-major array of `shape` of the entries whose `axis` index is in `indices`, in batched row-major order. */
export function gatherPositions(shape: number[], axis: number, indices: Int32Array): Int32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis]!;
  const B = indices.length;
  const out = new Int32Array(outer * B * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) for (let b = 0; b < B; b++) for (let i = 0; i < inner; i++) out[k++] = (o * n + indices[b]!) * inner + i;
  return out;
}

/**
 * x[index] for a 1-D x, the index an input of a compiled step (`key`). Differentiated on the IR
 * (a gather of an input index: its adjoint scatters back); no tfjs gradient reaches it, since
 * RELAX's and LAX's tfjs ĝ starts at the gathered logits.
 */
export function gatherFlat(x: tf.Tensor, index: Int32Array, key?: string): tf.Tensor {
  const idx = tf.tensor1d(index, 'int32');
  // A compiled step is given the index anew at each run (batchInputs below says how it is made).
  if (key) traceHooks.input?.(idx, key);
  return tf.gather(x, idx);
}

/** The per-step setup, layout and view of a batch (call inside the step's tidy: the gathered data are its tensors). */
export function batchOf(s: Setup, layout: Layout, info: PlateInfo, indices: Int32Array, scale: number): { setup: Setup; layout: Layout; batch: BatchView } {
  const B = indices.length;
  const sizes = new Map(s.sizes);
  sizes.set(info.plate, B);
  const idx = tf.tensor1d(indices, 'int32');
  traceHooks.input?.(idx, BATCH_ROWS);
  const dataEnv = new Map<string, Val>(s.dataEnv);
  dataEnv.set(info.plate, B);
  for (const [name, axis] of info.dataAxes) {
    const v = s.dataEnv.get(name);
    if (v instanceof tf.Tensor) dataEnv.set(name, tf.gather(v, idx, axis + 1));
  }
  const withPlate = (shape: number[], axis: number | undefined) => (axis === undefined ? shape : shape.map((d, i) => (i === axis ? B : d)));
  const latents = s.latents.map((l) => ({ ...l, shape: withPlate(l.shape, info.localAxes.get(l.name)) }));

  const { autoIndex, autoLocal, slots, autoDim, logits } = guidePositions(layout, info, indices);
  const local = new Set<string>(info.localAxes.keys());
  const setup: Setup = {
    ...s,
    sizes,
    dataEnv,
    modelRun: { ...s.modelRun, sizes },
    guideRun: { ...s.guideRun, sizes },
    latents,
    dispose: () => undefined,
  };
  return {
    setup,
    layout: { ...layout, autoDim, slots },
    batch: { plate: info.plate, N: info.N, indices, scale, local, autoIndex, autoLocal, logits },
  };
}

/** The key of a batch's plate indices among a compiled step's inputs. */
export const BATCH_ROWS = 'batch:rows';
/** The key of the automatic guide's batched positions. */
export const BATCH_AUTO = 'batch:auto';
/** The key of a discrete guide's batched logits positions. */
export const batchLogitsKey = (name: string) => `batch:logits:${name}`;

/** Where a batch's entries sit in the guide's parameter blocks: which depends on the indices, the rest only on B. */
function guidePositions(layout: Layout, info: PlateInfo, indices: Int32Array) {
  const B = indices.length;
  const withPlate = (shape: number[], axis: number | undefined) => (axis === undefined ? shape : shape.map((d, i) => (i === axis ? B : d)));
  // The automatic Gaussian guide: the batched u keeps global entries and the batch's local ones.
  let autoIndex: Int32Array | null = null;
  let autoLocal: Uint8Array | null = null;
  const slots = new Map<string, AutoSlot>();
  let autoDim = 0;
  if (layout.autoDim > 0) {
    const parts: Int32Array[] = [];
    const localParts: Uint8Array[] = [];
    for (const slot of layout.slots.values()) {
      const axis = info.localAxes.get(slot.name);
      const pos = axis === undefined ? Int32Array.from({ length: slot.size }, (_, i) => i) : gatherPositions(slot.ushape, axis, indices);
      parts.push(pos.map((p) => p + slot.offset));
      localParts.push(new Uint8Array(pos.length).fill(axis === undefined ? 0 : 1));
      slots.set(slot.name, { ...slot, offset: autoDim, size: pos.length, ushape: withPlate(slot.ushape, axis), shape: withPlate(slot.shape, axis) });
      autoDim += pos.length;
    }
    autoIndex = concat(parts, (n) => new Int32Array(n));
    autoLocal = concat(localParts, (n) => new Uint8Array(n));
  }
  const logits = new Map<string, { index: Int32Array; shape: number[] }>();
  for (const [key, block] of layout.blocks) {
    if (!key.startsWith('q:logits:')) continue;
    const name = key.slice('q:logits:'.length);
    const axis = info.localAxes.get(name);
    if (axis === undefined) continue;
    logits.set(name, { index: gatherPositions(block.shape, axis, indices), shape: withPlate(block.shape, axis) });
  }
  return { autoIndex, autoLocal, slots, autoDim, logits };
}

/** A batch's index arrays by input key, for a compiled step given a new batch at each run. */
export function batchInputs(layout: Layout, info: PlateInfo, indices: Int32Array): Map<string, Int32Array> {
  const g = guidePositions(layout, info, indices);
  const out = new Map<string, Int32Array>([[BATCH_ROWS, indices]]);
  if (g.autoIndex) out.set(BATCH_AUTO, g.autoIndex);
  for (const [name, l] of g.logits) out.set(batchLogitsKey(name), l.index);
  return out;
}

function concat<A extends Int32Array | Uint8Array>(parts: A[], make: (n: number) => A): A {
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}
