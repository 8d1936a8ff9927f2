// One flat parameter vector per fit (DESIGN.md: one Variable, slice views per
// site): where each param and each automatic guide's parameters live in it, and
// its initial values. A plain value: it can be printed and saved with a fit.

import type { Constraint } from '../language/types.js';
import { isMatrixConstraint } from '../language/types.js';
import { matrixFreeSize, matrixUnconstrain } from './matrix-transforms.js';
import type { Rng } from './rng.js';
import type { LatentVar, ParamVar, Setup } from './setup.js';

export type GuideKind = 'meanfield' | 'fullrank';

export interface Block {
  key: string;
  offset: number;
  size: number;
  shape: number[];
}

/** Where one automatically guided continuous latent lives in the unconstrained vector u. */
export interface AutoSlot {
  name: string;
  /** Offset into u (not into the flat parameter vector). */
  offset: number;
  size: number;
  /** Unconstrained shape (a simplex's last dimension is one shorter; a K×K matrix type has one axis of its free values). */
  ushape: number[];
  /** Constrained shape. */
  shape: number[];
}

export interface Layout {
  size: number;
  blocks: Map<string, Block>;
  guide: GuideKind;
  /** Total unconstrained dimension of the automatically guided continuous latents. */
  autoDim: number;
  slots: Map<string, AutoSlot>;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function unconstrainedShape(v: LatentVar): number[] {
  return unconstrainedShapeOf(v.sites[0]!.family.support.kind, v.shape);
}

/** The unconstrained shape of a value of this shape and support (or declared constraint). */
export function unconstrainedShapeOf(kind: string, shape: number[]): number[] {
  if (kind === 'simplex') return [...shape.slice(0, -1), shape[shape.length - 1]! - 1];
  // A K×K matrix type lives in its K(K−1)/2 or K(K+1)/2 free values.
  if (isMatrixConstraint(kind)) return [...shape.slice(0, -2), matrixFreeSize(kind, shape[shape.length - 1]!)];
  return shape;
}

export function paramKey(p: { scope: string; name: string }): string {
  return `param:${p.scope}:${p.name}`;
}

export function buildLayout(s: Setup, guide: GuideKind): Layout {
  const blocks = new Map<string, Block>();
  let size = 0;
  const add = (key: string, shape: number[]) => {
    const n = prod(shape);
    blocks.set(key, { key, offset: size, size: n, shape });
    size += n;
  };
  for (const p of s.params) add(paramKey(p), unconstrainedShapeOf(p.constraint, p.shape));

  const slots = new Map<string, AutoSlot>();
  let autoDim = 0;
  // In optimisation mode latents are drawn from the program's own distributions: no guides.
  const guided = s.program.mode !== 'optimisation';
  for (const v of s.latents) {
    if (!guided || v.explicit || v.discrete) continue;
    const ushape = unconstrainedShape(v);
    const n = prod(ushape);
    slots.set(v.name, { name: v.name, offset: autoDim, size: n, ushape, shape: v.shape });
    autoDim += n;
  }
  if (autoDim > 0) {
    add('q:loc', [autoDim]);
    if (guide === 'meanfield') add('q:logscale', [autoDim]);
    else add('q:tril', [(autoDim * (autoDim + 1)) / 2]);
  }
  for (const v of s.latents) {
    if (!guided || v.explicit || !v.discrete) continue;
    const fam = v.sites[0]!.family.name;
    // Automatic guides for discrete latents have the model's family with free logits.
    if (fam === 'Categorical' || fam === 'OrderedLogistic' || fam === 'OrderedProbit') {
      add(`q:logits:${v.name}`, [...v.shape, categoricalK(s, v)]);
    } else {
      add(`q:logits:${v.name}`, v.shape);
    }
  }
  return { size, blocks, guide, autoDim, slots };
}

/** K of a Categorical latent: the last dimension of its probs/logits argument. */
function categoricalK(s: Setup, v: LatentVar): number {
  const site = v.sites[0]!;
  const arg = site.args['probs'] ?? site.args['logits'] ?? site.args['cutpoints'];
  const t = arg ? s.program.exprTypes.get(arg) : undefined;
  const last = t?.shape[t.shape.length - 1];
  if (last === undefined) throw new Error(`cannot tell how many categories '${v.name}' has`);
  const k = typeof last === 'number' ? last : s.sizes.get(last);
  if (k === undefined) throw new Error(`cannot tell how many categories '${v.name}' has`);
  // K − 1 cutpoints cut the line into K categories.
  return site.args['cutpoints'] ? k + 1 : k;
}

/** Initial unconstrained value of a param whose declaration gives no init. */
function defaultInit(p: ParamVar, rng: Rng, out: Float32Array, offset: number): void {
  // A matrix type starts at u = 0: the identity.
  if (p.shape.length >= 2 && !isMatrixConstraint(p.constraint)) {
    // Matrices start small and random so that units differ (Glorot-uniform scale).
    const fanIn = p.shape[p.shape.length - 2]!;
    const fanOut = p.shape[p.shape.length - 1]!;
    const a = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < prod(p.shape); i++) out[offset + i] = (2 * rng.uniform() - 1) * a;
  }
  // Scalars and vectors start at unconstrained 0: 0 for real, 1 for positive, 0.5 for unit.
}

export function unconstrain(c: Constraint, x: number): number {
  switch (c) {
    case 'positive':
      return Math.log(x);
    case 'unit':
      return Math.log(x / (1 - x));
    default:
      return x;
  }
}

/**
 * Constrained values (row-major, the last dimension of length k) to unconstrained ones:
 * elementwise for positive and unit, by rows for the ordered types (the inverse of
 * transforms.ts's ordered bijector: u₀ = y₀ or log y₀, uⱼ = log(yⱼ − yⱼ₋₁)).
 */
export function unconstrainValues(c: Constraint, values: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(values.length);
  if (c !== 'ordered' && c !== 'positive-ordered') {
    for (let i = 0; i < values.length; i++) out[i] = unconstrain(c, values[i]!);
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const first = i % k === 0;
    if (first) out[i] = c === 'ordered' ? values[i]! : Math.log(values[i]!);
    else out[i] = Math.log(values[i]! - values[i - 1]!);
    // A tie or a descent has no unconstrained value; say where instead of starting from NaN.
    if (!Number.isFinite(out[i]!)) {
      const what = first ? `entry ${i} is ${values[i]}` : `entry ${i} = ${values[i]} ≤ entry ${i - 1} = ${values[i - 1]}`;
      throw new RangeError(`a ${c === 'ordered' ? 'ordered' : 'positive_ordered'} value must be strictly increasing${c === 'ordered' ? '' : ' and positive'} (${what})`);
    }
  }
  return out;
}

export interface InitOptions {
  rng: Rng;
  /** Constant initial values of params that declare one (already evaluated), row-major. */
  paramInits: Map<string, Float32Array>;
  /** Initial scale of automatic Normal guides (Pyro's AutoNormal uses 0.1). */
  initScale: number;
}

export function initialValues(layout: Layout, s: Setup, o: InitOptions): Float32Array {
  const out = new Float32Array(layout.size);
  for (const p of s.params) {
    const b = layout.blocks.get(paramKey(p))!;
    const given = o.paramInits.get(paramKey(p));
    if (given && isMatrixConstraint(p.constraint)) {
      const K = p.shape[p.shape.length - 1]!;
      const u: number[] = [];
      for (let at = 0; at < given.length; at += K * K) matrixUnconstrain(p.constraint, given, at, K, u);
      // One K×K init broadcasts over a batch of matrices.
      for (let i = 0; i < b.size; i++) out[b.offset + i] = u[i % u.length]!;
    } else if (given) {
      const full = given.length === 1 ? new Float64Array(b.size).fill(given[0]!) : given;
      out.set(unconstrainValues(p.constraint, full, p.shape[p.shape.length - 1] ?? 1), b.offset);
    } else if (p.constraint !== 'ordered' && p.constraint !== 'positive-ordered') defaultInit(p, o.rng, out, b.offset);
  }
  // Automatic Gaussian guides start at Stan's default inits, uniform on (−2, 2) in unconstrained
  // space: a deterministic 0 leaves exchangeable latents (mixture locations) tied forever.
  const loc = layout.blocks.get('q:loc');
  if (loc) for (let i = 0; i < loc.size; i++) out[loc.offset + i] = 4 * o.rng.uniform() - 2;
  const logscale = layout.blocks.get('q:logscale');
  if (logscale) out.fill(Math.log(o.initScale), logscale.offset, logscale.offset + logscale.size);
  const tril = layout.blocks.get('q:tril');
  if (tril) {
    const D = layout.autoDim;
    // Packed row-major lower triangle; the diagonal holds log-scales.
    let k = tril.offset;
    for (let i = 0; i < D; i++) for (let j = 0; j <= i; j++) out[k++] = i === j ? Math.log(o.initScale) : 0;
  }
  return out;
}

/** Human names for the blocks of the flat vector: params by name, automatic guides by their latent. */
export function blockNames(layout: Layout): { name: string; offset: number; size: number }[] {
  const out: { name: string; offset: number; size: number }[] = [];
  for (const b of layout.blocks.values()) {
    const [kind, a, c] = b.key.split(':');
    if (kind === 'param') out.push({ name: a === 'guide' ? `guide.${c}` : c!, offset: b.offset, size: b.size });
    else if (kind === 'q' && a === 'logits') out.push({ name: `${c}.logits`, offset: b.offset, size: b.size });
    else if (kind === 'q' && (a === 'loc' || a === 'logscale')) {
      for (const slot of layout.slots.values()) out.push({ name: `${slot.name}.${a}`, offset: b.offset + slot.offset, size: slot.size });
    } else out.push({ name: b.key, offset: b.offset, size: b.size });
  }
  return out;
}
