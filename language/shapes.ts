// Symbolic shapes: dimensions are integer literals, names of int data / plates, or such a
// name plus or minus a literal ("T-1", from a slice or an element loop starting at 1).
// Everything the checker cannot decide without the data is written down as a
// DeferredCheck, which the data binder re-runs once the sizes are known.

import type { Span } from './span.js';
import type { Dim, ElemType } from './types.js';

/** name + k, or the literal k when name is absent. */
export interface Affine {
  name?: string;
  k: number;
}

export function affineOf(d: Dim): Affine {
  if (typeof d === 'number') return { k: d };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+))?$/.exec(d);
  if (!m) return { name: d, k: 0 };
  const k = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
  return { name: m[1]!, k };
}

export function dimOf(a: Affine): Dim {
  if (a.name === undefined) return a.k;
  return a.k === 0 ? a.name : a.k > 0 ? `${a.name}+${a.k}` : `${a.name}-${-a.k}`;
}

export function showAffine(a: Affine): string {
  if (a.name === undefined) return String(a.k);
  return a.k === 0 ? a.name : a.k > 0 ? `${a.name} + ${a.k}` : `${a.name} - ${-a.k}`;
}

export function addAffine(a: Affine, k: number): Affine {
  return { name: a.name, k: a.k + k };
}

/** The value of a dimension once the sizes are known; undefined when a name is missing. */
export function resolveDim(d: Dim, sizes: ReadonlyMap<string, number>): number | undefined {
  const a = affineOf(d);
  if (a.name === undefined) return a.k;
  const v = sizes.get(a.name);
  return v === undefined ? undefined : v + a.k;
}

const compareExact = (a: Affine, b: Affine): number | undefined => compareAffine(a, b);

/** Sign of a − b when it does not depend on the data, else undefined. */
export function compareAffine(a: Affine, b: Affine): number | undefined {
  if (a.name !== b.name) return undefined;
  return Math.sign(a.k - b.k);
}

export function showDims(shape: readonly Dim[]): string {
  return `[${shape.map((d) => showAffine(affineOf(d))).join(', ')}]`;
}

export function showTyped(elem: ElemType | string, shape: readonly Dim[]): string {
  return shape.length ? `${elem}${showDims(shape)}` : elem;
}

export type DimRelation = 'equal' | 'different' | 'unknown';

/**
 * Whether two dims are equal. A name against a literal counts as different: a model that
 * relies on N happening to equal 3 should say so with a literal. Two different names cannot
 * be told apart before the data arrives.
 */
export function relateDims(a: Dim, b: Dim): DimRelation {
  const x = affineOf(a);
  const y = affineOf(b);
  if (x.name === y.name) return x.k === y.k ? 'equal' : 'different';
  if (x.name === undefined || y.name === undefined) return 'different';
  return 'unknown';
}

/** A pair of dimensions that must agree at run time (or one of them be 1 when allowOne). */
export interface DimPair {
  a: Dim;
  b: Dim;
  allowOne: boolean;
}

export type ShapeResult = { ok: true; shape: Dim[]; deferred: DimPair[] } | { ok: false; a: Dim; b: Dim };

/** NumPy broadcasting, right-aligned. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): ShapeResult {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  const deferred: DimPair[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i];
    const y = b[b.length - n + i];
    if (x === undefined) out.push(y!);
    else if (y === undefined) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else {
      const r = relateDims(x, y);
      if (r === 'different') return { ok: false, a: x, b: y };
      if (r === 'unknown') deferred.push({ a: x, b: y, allowOne: true });
      out.push(x);
    }
  }
  return { ok: true, shape: out, deferred };
}

/** Whether values of shape `inner` broadcast into `outer` without growing it (iid copies fill the rest). */
export function fitsInto(inner: readonly Dim[], outer: readonly Dim[], lenient = false): { ok: true; deferred: DimPair[] } | { ok: false } {
  if (inner.length > outer.length) return { ok: false };
  const deferred: DimPair[] = [];
  for (let i = 0; i < inner.length; i++) {
    const x = inner[inner.length - 1 - i]!;
    const y = outer[outer.length - 1 - i]!;
    if (x === 1) continue;
    let r = relateDims(x, y);
    // A default `[-1, 1]` for `real[K]` is checked once K is known.
    if (lenient && r === 'different' && (typeof x === 'number') !== (typeof y === 'number')) r = 'unknown';
    if (r === 'different') return { ok: false };
    if (r === 'unknown') deferred.push({ a: x, b: y, allowOne: true });
  }
  return { ok: true, deferred };
}

/** `a @ b` with NumPy's matmul rules for vectors and batched matrices. */
export function matmulShape(a: readonly Dim[], b: readonly Dim[]): ShapeResult | { ok: false; rank: true } {
  if (a.length === 0 || b.length === 0) return { ok: false, rank: true };
  const deferred: DimPair[] = [];
  const inner = (x: Dim, y: Dim): boolean => {
    const r = relateDims(x, y);
    if (r === 'different') return false;
    if (r === 'unknown') deferred.push({ a: x, b: y, allowOne: false });
    return true;
  };
  const ka = a[a.length - 1]!;
  if (b.length === 1) {
    if (!inner(ka, b[0]!)) return { ok: false, a: ka, b: b[0]! };
    return { ok: true, shape: a.slice(0, -1), deferred };
  }
  const kb = b[b.length - 2]!;
  if (!inner(ka, kb)) return { ok: false, a: ka, b: kb };
  const m = b[b.length - 1]!;
  if (a.length === 1) {
    return { ok: true, shape: [...b.slice(0, -2), m], deferred };
  }
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  if (!batch.ok) return batch;
  return { ok: true, shape: [...batch.shape, a[a.length - 2]!, m], deferred: [...deferred, ...batch.deferred] };
}

/** The half-open range [lo, hi) that one index of an element definition covers. */
export interface Interval {
  lo: Affine;
  hi: Affine;
}

/** The elements one `x[i, j] ~ …` statement defines: a box of index ranges. */
export interface ElementBox {
  intervals: Interval[];
  span: Span;
  line: number;
}

/** A check the checker could not decide without the data; the data binder re-runs it. */
export type DeferredCheck =
  | { kind: 'dims'; pair: DimPair; what: string; span: Span }
  | { kind: 'coverage'; name: string; shape: Dim[]; boxes: ElementBox[]; requireFull: boolean; span: Span }
  | { kind: 'gather'; index: string; target: string; bound: Dim; span: Span }
  /** `target[index]` reads indices lo … hi − 1 (over a loop, or one literal) of an axis of size dim. */
  | { kind: 'index-range'; target: string; index: string; lo: Affine; hi: Affine; dim: Dim; span: Span };

export interface CoverageProblem {
  span: Span;
  message: string;
}

function showIndex(name: string, idx: Affine[]): string {
  return `${name}[${idx.map(showAffine).join(', ')}]`;
}

/**
 * Checks that element boxes stay inside the shape, do not overlap, and (when requireFull)
 * cover it. With literal bounds every question is decided; with symbolic bounds the
 * undecided ones set `undecided` so the caller can defer the whole check to the data.
 */
export function analyseCoverage(
  name: string,
  shape: readonly Affine[],
  boxes: readonly ElementBox[],
  requireFull: boolean,
  assumeLarge = false,
): { problems: CoverageProblem[]; undecided: boolean } {
  const problems: CoverageProblem[] = [];
  // Statically, a data size is taken to exceed any literal (a loop `1..T` is not empty); the
  // data binder re-runs the analysis with the real sizes, where this assumption is not needed.
  const compareAffine = (a: Affine, b: Affine): number | undefined => {
    const c = compareExact(a, b);
    if (c !== undefined || !assumeLarge) return c;
    if (a.name !== undefined && b.name === undefined) return 1;
    if (a.name === undefined && b.name !== undefined) return -1;
    return undefined;
  };
  let undecided = false;
  const nonEmpty = (iv: Interval): boolean | undefined => {
    const c = compareAffine(iv.lo, iv.hi);
    return c === undefined ? undefined : c < 0;
  };
  for (const box of boxes) {
    if (box.intervals.some((iv) => nonEmpty(iv) === false)) continue;
    box.intervals.forEach((iv, axis) => {
      const dim = shape[axis];
      if (dim === undefined) return;
      const lo = compareAffine(iv.lo, { k: 0 });
      const hi = compareAffine(iv.hi, dim);
      if (lo !== undefined && lo < 0) {
        problems.push({ span: box.span, message: `'${name}' is defined at index ${showAffine(iv.lo)} on axis ${axis}; indices start at 0` });
      } else if (hi !== undefined && hi > 0) {
        problems.push({
          span: box.span,
          message: `'${name}' is defined at index ${showAffine(addAffine(iv.hi, -1))} on axis ${axis}, outside its shape [${shape.map(showAffine).join(', ')}]`,
        });
      } else if (lo === undefined || hi === undefined) undecided = true;
    });
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const A = boxes[i]!;
      const B = boxes[j]!;
      let disjoint = false;
      let overlapAll = true;
      const witness: Affine[] = [];
      A.intervals.forEach((a, axis) => {
        const b = B.intervals[axis]!;
        const c1 = compareAffine(a.hi, b.lo);
        const c2 = compareAffine(b.hi, a.lo);
        const e1 = nonEmpty(a);
        const e2 = nonEmpty(b);
        if ((c1 !== undefined && c1 <= 0) || (c2 !== undefined && c2 <= 0) || e1 === false || e2 === false) disjoint = true;
        else if (c1 === undefined || c2 === undefined || e1 === undefined || e2 === undefined) overlapAll = false;
        const cl = compareAffine(a.lo, b.lo);
        witness.push(cl !== undefined && cl < 0 ? b.lo : a.lo);
      });
      if (disjoint) continue;
      if (overlapAll) {
        problems.push({ span: B.span, message: `${showIndex(name, witness)} is defined twice (lines ${A.line} and ${B.line})` });
      } else undecided = true;
    }
  }
  if (!requireFull || problems.length) return { problems, undecided };
  if (shape.length === 1) {
    const ivs = boxes.map((b) => b.intervals[0]!).filter((iv) => nonEmpty(iv) !== false);
    let sortable = ivs.every((iv) => nonEmpty(iv) === true);
    for (let i = 0; i < ivs.length && sortable; i++) {
      for (let j = 0; j < ivs.length; j++) if (compareAffine(ivs[i]!.lo, ivs[j]!.lo) === undefined) sortable = false;
    }
    if (!sortable) return { problems, undecided: true };
    ivs.sort((x, y) => compareAffine(x.lo, y.lo)!);
    let at: Affine = { k: 0 };
    const gap = (from: Affine, to: Affine): void => {
      const last = addAffine(to, -1);
      const what = compareAffine(from, last) === 0 ? `${name}[${showAffine(from)}] is never defined` : `${name}[${showAffine(from)}] to ${name}[${showAffine(last)}] are never defined`;
      problems.push({ span: boxes[0]!.span, message: what });
    };
    for (const iv of ivs) {
      const c = compareAffine(iv.lo, at);
      if (c === undefined) return { problems, undecided: true };
      if (c > 0) gap(at, iv.lo);
      at = iv.hi;
    }
    const end = compareAffine(at, shape[0]!);
    if (end === undefined) return { problems, undecided: true };
    if (end < 0) gap(at, shape[0]!);
    return { problems, undecided };
  }
  const literal = shape.every((d) => d.name === undefined) && boxes.every((b) => b.intervals.every((iv) => iv.lo.name === undefined && iv.hi.name === undefined));
  if (!literal) return { problems, undecided: true };
  const total = shape.reduce((p, d) => p * d.k, 1);
  const covered = boxes.reduce((s, b) => s + b.intervals.reduce((p, iv) => p * Math.max(0, iv.hi.k - iv.lo.k), 1), 0);
  if (covered < total) {
    problems.push({ span: boxes[0]!.span, message: `the element definitions of '${name}' define ${covered} of its ${total} elements` });
  }
  return { problems, undecided };
}

/** Replaces every name by its size, so that analyseCoverage decides everything. */
export function substituteSizes(a: Affine, sizes: ReadonlyMap<string, number>): Affine | undefined {
  if (a.name === undefined) return a;
  const v = sizes.get(a.name);
  return v === undefined ? undefined : { k: v + a.k };
}
