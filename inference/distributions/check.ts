// Run-time validation of parameter values, for the first step and for error
// reports. It reads values back with dataSync, so it never runs per step.
import { family as familySpec, type ParamConstraint } from '../../language/distributions.js';
import type { tf } from '../backend.js';
import type { Params } from './types.js';

function indexOf(flat: number, shape: number[]): string {
  const idx: number[] = [];
  let rest = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(rest % shape[i]!);
    rest = Math.floor(rest / shape[i]!);
  }
  return `[${idx.join(', ')}]`;
}

function show(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

const RULES: Record<Exclude<ParamConstraint, 'simplex' | 'ordered'>, { ok: (v: number) => boolean; says: string }> = {
  real: { ok: Number.isFinite, says: 'must be finite' },
  positive: { ok: (v) => v > 0 && v < Infinity, says: 'must be > 0' },
  unit: { ok: (v) => v > 0 && v < 1, says: 'must be in (0, 1)' },
  count: { ok: (v) => Number.isInteger(v) && v >= 0, says: 'must be a non-negative integer' },
};

/** Sums of a simplex may drift by float32 rounding; this much is accepted. */
const SIMPLEX_TOLERANCE = 1e-4;

function checkValues(name: string, constraint: ParamConstraint, t: tf.Tensor): string | null {
  const values = t.dataSync();
  const shape = t.shape;
  if (constraint === 'simplex') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v <= 1)) return `${name} must lie in [0, 1] (found ${show(v)} at index ${indexOf(i, shape)})`;
    }
    const k = shape[shape.length - 1] ?? 1;
    for (let row = 0; row * k < values.length; row++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += values[row * k + j]!;
      if (Math.abs(sum - 1) > SIMPLEX_TOLERANCE * Math.max(1, k)) {
        return `${name} must sum to 1 along its last dimension (found ${show(sum)} at index ${indexOf(row, shape.slice(0, -1))})`;
      }
    }
    return null;
  }
  if (constraint === 'ordered') return checkIncreasing(name, values, shape);
  const rule = RULES[constraint];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!rule.ok(v)) return `${name} ${rule.says} (found ${show(v)} at index ${indexOf(i, shape)})`;
  }
  return null;
}

/** Each row along the last dimension strictly increasing, e.g. "cutpoints must be strictly increasing (found cutpoints[2] = 1.3 ≤ cutpoints[1] = 1.5)". */
export function checkIncreasing(name: string, values: ArrayLike<number>, shape: number[]): string | null {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) return `${name} must be finite (found ${show(values[i]!)} at index ${indexOf(i, shape)})`;
  }
  const k = shape[shape.length - 1] ?? 1;
  for (let i = 0; i < values.length; i++) {
    if (i % k === 0) continue;
    const v = values[i]!;
    const prev = values[i - 1]!;
    if (!(v > prev)) return `${name} must be strictly increasing (found ${name}${indexOf(i, shape)} = ${show(v)} ≤ ${name}${indexOf(i - 1, shape)} = ${show(prev)})`;
  }
  return null;
}

function checkOrder(low: tf.Tensor, high: tf.Tensor): string | null {
  const lo = low.dataSync();
  const hi = high.dataSync();
  const n = Math.max(lo.length, hi.length);
  const shape = lo.length >= hi.length ? low.shape : high.shape;
  for (let i = 0; i < n; i++) {
    // Scalars and equal shapes are the cases met in practice; other broadcasts cycle the shorter one.
    const l = lo[i % lo.length]!;
    const h = hi[i % hi.length]!;
    if (!(l < h)) return `high must be > low (found low ${show(l)}, high ${show(h)} at index ${indexOf(i, shape)})`;
  }
  return null;
}

/** Asymmetry of a covariance accepted from float32 rounding, relative to its largest entry. */
const SYMMETRY_TOLERANCE = 1e-5;

/** Square matrices [..., K, K]: a positive diagonal, and symmetry when `symmetric`. */
function checkMatrix(name: string, t: tf.Tensor, symmetric: boolean): string | null {
  const v = t.dataSync();
  const k = t.shape[t.rank - 1]!;
  const batch = t.shape.slice(0, -2);
  let scale = 0;
  for (const x of v) scale = Math.max(scale, Math.abs(x));
  for (let m = 0; m * k * k < v.length; m++) {
    const o = m * k * k;
    const where = (i: number, j: number) => indexOf(((m * k) + i) * k + j, [...batch, k, k]);
    for (let i = 0; i < k; i++) {
      const d = v[o + i * k + i]!;
      if (!(d > 0)) return `${name} must have a positive diagonal (found ${show(d)} at index ${where(i, i)})`;
      if (!symmetric) continue;
      for (let j = 0; j < i; j++) {
        const a = v[o + i * k + j]!;
        const b = v[o + j * k + i]!;
        if (Math.abs(a - b) > SYMMETRY_TOLERANCE * scale) return `${name} must be symmetric (found ${show(a)} at index ${where(i, j)} and ${show(b)} at ${where(j, i)})`;
      }
    }
  }
  return null;
}

/** Run-time domain check, for first step / error reporting: returns null or a message naming the parameter and what was found, e.g. "scale must be > 0 (found -1 at index [2])". Uses dataSync; never called inside the training step. */
export function checkParams(familyName: string, params: Params): string | null {
  const spec = familySpec(familyName);
  if (spec === undefined) return `unknown distribution family '${familyName}'`;
  const known = new Set(spec.params.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!known.has(name)) return `${familyName} has no parameter '${name}' (its parameters: ${spec.params.map((p) => p.name).join(', ')})`;
  }
  const alternatives = new Set((spec.oneOf ?? []).flat());
  for (const group of spec.oneOf ?? []) {
    const given = group.filter((n) => params[n] !== undefined);
    if (given.length !== 1) return `${familyName} needs exactly one of ${group.join(' or ')} (found ${given.length === 0 ? 'none' : given.join(' and ')})`;
  }
  for (const p of spec.params) {
    const t = params[p.name];
    if (t === undefined) {
      if (alternatives.has(p.name)) continue;
      return `${familyName} needs the parameter ${p.name}`;
    }
    const message = checkValues(p.name, p.constraint, t);
    if (message !== null) return message;
  }
  if (familyName === 'Uniform') return checkOrder(params.low!, params.high!);
  if (familyName === 'MultiNormal') return checkMatrix('cov', params.cov!, true);
  if (familyName === 'MultiNormalCholesky') return checkMatrix('scale_tril', params.scale_tril!, false);
  return null;
}
