// Data binding: the user's JSON object (or CSV columns) checked against the model's data
// declarations, turned into flat row-major arrays, with every plate size resolved. Then the
// shape questions the checker left open (DeferredCheck) are answered with the real sizes.
// All problems are collected and thrown together in one ModelError. Defaults are computed by
// the front end's constant evaluator (constants.ts); CSV files are read by csv.ts.

import { matrixProblem } from './matrix-data.js';
import { isMatrixConstraint } from './types.js';
import type { CheckedProgram, SymbolInfo } from './checked.js';
import { evaluateConstant, scalarConstant, type Constant } from './constants.js';
import type { Diagnostic } from './diagnostics.js';
import { ModelError } from './errors.js';
import { affineOf, analyseCoverage, resolveDim, showDims, substituteSizes, type Affine, type DeferredCheck } from './shapes.js';
import type { Span } from './span.js';
import { didYouMean } from './suggest.js';
import type { Dim, ElemType, ValueType } from './types.js';

export interface DataArray {
  name: string;
  elem: ElemType;
  shape: number[];
  /** Row-major. Booleans are stored as 0 / 1. */
  values: Float64Array;
}

export interface BoundData {
  /** Every data declaration and every plate (plates as int scalars). */
  arrays: Map<string, DataArray>;
  /**
   * Every int scalar and plate size, for shapes; also every derived dimension the program's
   * types mention ("T-1" from a slice or an element loop), so a lookup by the Dim string works.
   */
  sizes: Map<string, number>;
  warnings: Diagnostic[];
}

/** A value read from JSON: its shape and flat values, or why it is not a regular numeric array. */
type Parsed = Constant | { ok: false; found: string };

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string '${v.length > 20 ? v.slice(0, 20) + '…' : v}'`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return `${typeof v}`;
}

/** Spellings of non-finite numbers that JSON (as strings) and CSV cells may use. */
export const NON_FINITE_STRINGS = new Map<string, number>([
  ['NaN', NaN],
  ['nan', NaN],
  ['NA', NaN],
  ['Infinity', Infinity],
  ['inf', Infinity],
  ['-Infinity', -Infinity],
  ['-inf', -Infinity],
]);

function leaf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  // JSON has no NaN: exporters write null or "NaN"; both are reported as not finite, with the index.
  if (v === null) return NaN;
  if (typeof v === 'string' && NON_FINITE_STRINGS.has(v)) return NON_FINITE_STRINGS.get(v)!;
  return undefined;
}

/**
 * The common case in one pass and without an object per element: a regular array of numbers, or
 * one number. Undefined for anything else (booleans, nulls, spelled non-finite numbers, ragged or
 * non-numeric arrays), which parseElements reads, and words the fault of, element by element.
 */
export function parseRegular(v: unknown): Constant | undefined {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) {
    shape.push(x.length);
    if (x.length === 0) break;
  }
  if (shape.length === 0) return typeof v === 'number' ? { ok: true, shape, values: [v], bools: false } : undefined;
  // Allocated once at its size (growing an array of millions by push is several times slower), and
  // rows of the last dimension read in one loop.
  const values = new Array<number>(shape.reduce((a, b) => a * b, 1));
  let at = 0;
  const fill = (x: unknown, depth: number): boolean => {
    if (!Array.isArray(x) || x.length !== shape[depth]) return false;
    if (depth === shape.length - 1) {
      for (let i = 0; i < x.length; i++) {
        const e: unknown = x[i];
        if (typeof e !== 'number') return false;
        values[at++] = e;
      }
      return true;
    }
    for (let i = 0; i < x.length; i++) if (!fill(x[i], depth + 1)) return false;
    return true;
  };
  return fill(v, 0) ? { ok: true, shape, values, bools: false } : undefined;
}

/** A data value as bound: its shape and row-major values, or what was found instead of a numeric array. */
export function parseValue(v: unknown): Parsed {
  return parseRegular(v) ?? parseElements(v);
}

/** parseValue element by element: every value it accepts, and the words for every fault. */
export function parseElements(v: unknown): Parsed {
  if (!Array.isArray(v)) {
    const x = leaf(v);
    if (x === undefined) return { ok: false, found: describeValue(v) };
    return { ok: true, shape: [], values: [x], bools: typeof v === 'boolean' };
  }
  if (v.length === 0) return { ok: true, shape: [0], values: [], bools: false };
  const parts = v.map(parseElements);
  const bad = parts.findIndex((p) => !p.ok);
  if (bad >= 0) {
    const p = parts[bad] as { ok: false; found: string };
    return { ok: false, found: p.found.startsWith('a ragged') || p.found.startsWith('an array containing') ? p.found : `an array containing ${p.found} at index ${bad}` };
  }
  const ok = parts as Extract<Parsed, { ok: true }>[];
  const first = ok[0]!;
  for (let i = 1; i < ok.length; i++) {
    const p = ok[i]!;
    if (p.shape.length !== first.shape.length || p.shape.some((d, j) => d !== first.shape[j])) {
      return { ok: false, found: `a ragged array (entry 0 has ${showFound(first.shape)}, entry ${i} has ${showFound(p.shape)})` };
    }
  }
  return { ok: true, shape: [v.length, ...first.shape], values: ok.flatMap((p) => p.values), bools: ok.some((p) => p.bools) };
}

function showFound(shape: number[]): string {
  if (shape.length === 0) return 'a number';
  if (shape.length === 1) return `${shape[0]} number${shape[0] === 1 ? '' : 's'}`;
  return `shape [${shape.join(', ')}]`;
}

function foundText(p: Extract<Parsed, { ok: true }>): string {
  if (p.shape.length === 0) return `the number ${p.values[0]}`;
  if (p.shape.length === 1) return `an array of ${p.shape[0]} number${p.shape[0] === 1 ? '' : 's'}`;
  return `an array of shape [${p.shape.join(', ')}]`;
}

/** "y[3]" or "X[1, 2]" for a flat index into `shape`. */
function indexName(name: string, shape: number[], flat: number): string {
  if (shape.length === 0) return name;
  const idx: number[] = [];
  let r = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(r % shape[i]!);
    r = Math.floor(r / shape[i]!);
  }
  return `${name}[${idx.join(', ')}]`;
}

function typeText(t: ValueType, base: string): string {
  return t.shape.length ? `${base}${showDims(t.shape)}` : base;
}

export function bindData(program: CheckedProgram, data: Record<string, unknown>, dataFile?: string): BoundData {
  const file = program.file;
  const where = dataFile ? ` (in ${dataFile})` : '';
  const diags: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const error = (span: Span | undefined, code: string, message: string): void => {
    diags.push(span ? { severity: 'error', code, message: message + where, file, span } : { severity: 'error', code, message: message + where, file });
  };
  const decls = [...program.symbols.values()].filter((s) => s.kind === 'data' || s.kind === 'plate');
  const declared = new Set(decls.map((d) => d.name));
  for (const key of Object.keys(data)) {
    if (!declared.has(key)) {
      warnings.push({ severity: 'warning', code: 'data-extra', message: `${dataFile ?? 'the data'} supplies '${key}', which the model does not declare${didYouMean(key, declared)}`, file: dataFile ?? file });
    }
  }
  const sizes = new Map<string, number>();
  const arrays = new Map<string, DataArray>();
  const pendingPlates = new Set<string>();

  for (const sym of decls) {
    const declType = declaredBase(program, sym);
    let raw: unknown = Object.prototype.hasOwnProperty.call(data, sym.name) ? data[sym.name] : undefined;
    let fromDefault = false;
    if (raw === undefined && sym.defaultValue) {
      const v = evaluateConstant(sym.defaultValue, (name) => {
        const a = arrays.get(name);
        if (a) return { ok: true, shape: [...a.shape], values: [...a.values], bools: false };
        const n = sizes.get(name);
        return n === undefined ? undefined : scalarConstant(n);
      });
      if (typeof v === 'string') {
        error(sym.span, 'data-default', `the default of '${sym.name}' ${v}`);
        continue;
      }
      raw = v;
      fromDefault = true;
    }
    if (raw === undefined) {
      if (sym.kind === 'plate') {
        pendingPlates.add(sym.name);
        continue;
      }
      error(sym.span, 'data-missing', `missing data '${sym.name}': expected ${expectedText(sym.type, declType, sizes)}`);
      continue;
    }
    const parsed = fromDefault ? (raw as Parsed) : parseValue(raw);
    const expected = () => expectedText(sym.type, declType, sizes);
    if (!parsed.ok) {
      error(sym.span, 'data-shape', `${sym.name}: expected ${expected()}, found ${parsed.found}`);
      continue;
    }
    // Resolve the declared shape, taking unknown plate sizes from this array.
    const want: number[] = [];
    let shapeOk = parsed.shape.length === sym.type.shape.length;
    if (shapeOk) {
      sym.type.shape.forEach((d, i) => {
        let n = resolveDim(d, sizes);
        const a = affineOf(d);
        if (n === undefined && a.name !== undefined && pendingPlates.has(a.name)) {
          sizes.set(a.name, parsed.shape[i]! - a.k);
          pendingPlates.delete(a.name);
          n = parsed.shape[i]!;
        }
        if (n === undefined || n !== parsed.shape[i]) shapeOk = false;
        want.push(n ?? -1);
      });
    }
    if (!shapeOk) {
      error(sym.span, 'data-shape', `${sym.name}: expected ${expected()}, found ${foundText(parsed)}`);
      continue;
    }
    const elem = sym.type.elem;
    let bad = false;
    // Named only when reported: a data array may hold millions of values.
    const at = (i: number) => indexName(sym.name, parsed.shape, i);
    for (let i = 0; i < parsed.values.length && !bad; i++) {
      const v = parsed.values[i]!;
      if (!Number.isFinite(v)) {
        error(sym.span, 'data-nonfinite', `${at(i)} is not a finite number`);
        bad = true;
      } else if (elem === 'int' && !Number.isInteger(v)) {
        error(sym.span, 'data-type', `${at(i)}: expected an int, found ${v}`);
        bad = true;
      } else if (elem === 'bool' && v !== 0 && v !== 1) {
        error(sym.span, 'data-type', `${at(i)}: expected a bool (true / false or 0 / 1), found ${v}`);
        bad = true;
      } else if (sym.constraint === 'positive' && !(v > 0)) {
        error(sym.span, 'data-constraint', `${at(i)} must be positive, found ${v}`);
        bad = true;
      } else if (sym.constraint === 'unit' && !(v > 0 && v < 1)) {
        error(sym.span, 'data-constraint', `${at(i)} must be strictly between 0 and 1, found ${v}`);
        bad = true;
      } else if (sym.constraint === 'positive-ordered' && !(v > 0)) {
        error(sym.span, 'data-constraint', `${at(i)} must be positive (it is part of a positive_ordered vector), found ${v}`);
        bad = true;
      } else if (sym.constraint === 'simplex' && v < 0) {
        error(sym.span, 'data-constraint', `${at(i)} must be non-negative (it is part of a simplex), found ${v}`);
        bad = true;
      }
    }
    if (!bad && sym.constraint === 'simplex' && parsed.shape.length) {
      const k = parsed.shape[parsed.shape.length - 1]!;
      for (let r = 0; r * k < parsed.values.length && !bad; r++) {
        const s = parsed.values.slice(r * k, r * k + k).reduce((a, b) => a + b, 0);
        if (Math.abs(s - 1) > 1e-6) {
          const row = indexName(sym.name, parsed.shape.slice(0, -1), r);
          error(sym.span, 'data-constraint', `${parsed.shape.length > 1 ? row : sym.name} must sum to one along its last dimension, but sums to ${round(s)}`);
          bad = true;
        }
      }
    }
    if (!bad && (sym.constraint === 'ordered' || sym.constraint === 'positive-ordered') && parsed.shape.length) {
      const k = parsed.shape[parsed.shape.length - 1]!;
      for (let i = 0; i < parsed.values.length && !bad; i++) {
        if (i % k === 0 || parsed.values[i]! > parsed.values[i - 1]!) continue;
        const here = indexName(sym.name, parsed.shape, i);
        const before = indexName(sym.name, parsed.shape, i - 1);
        error(sym.span, 'data-constraint', `${sym.name} must be strictly increasing, found ${here} = ${parsed.values[i]} ≤ ${before} = ${parsed.values[i - 1]}`);
        bad = true;
      }
    }
    if (!bad && isMatrixConstraint(sym.constraint)) {
      const K = parsed.shape[parsed.shape.length - 1]!;
      for (let off = 0; off < parsed.values.length && !bad; off += K * K) {
        const problem = matrixProblem(sym.constraint, parsed.values, off, K, (i, j) => indexName(sym.name, parsed.shape, off + i * K + j));
        if (problem) {
          error(sym.span, 'data-constraint', `${sym.name}: ${problem}`);
          bad = true;
        }
      }
    }
    if (bad) continue;
    if (elem === 'int' && parsed.shape.length === 0) {
      const n = parsed.values[0]!;
      if (n < 0 && isUsedAsDim(program, sym.name)) {
        error(sym.span, 'data-size', `${sym.name}: a size must be a non-negative int, found ${n}`);
        continue;
      }
      sizes.set(sym.name, n);
    }
    arrays.set(sym.name, { name: sym.name, elem, shape: want, values: Float64Array.from(parsed.values) });
  }
  for (const p of pendingPlates) {
    const sym = program.symbols.get(p)!;
    error(sym.span, 'data-missing', `no size for plate '${p}': supply '${p}' in the data, or an array declared with dimension ${p}`);
  }
  for (const sym of decls) {
    if (sym.kind !== 'plate' || arrays.has(sym.name)) continue;
    const n = sizes.get(sym.name);
    if (n !== undefined) arrays.set(sym.name, { name: sym.name, elem: 'int', shape: [], values: Float64Array.of(n) });
  }
  if (!diags.length) {
    // One pair of sizes that disagree is reported once, at its first use.
    const seenPairs = new Set<string>();
    for (const c of program.deferred ?? []) {
      if (c.kind === 'dims') {
        const key = [String(c.pair.a), String(c.pair.b)].sort().join('|');
        if (seenPairs.has(key)) continue;
        const problem = recheck(c, sizes, arrays);
        if (problem) {
          seenPairs.add(key);
          error(c.span, 'data-shape', problem);
        }
        continue;
      }
      const problem = recheck(c, sizes, arrays);
      if (problem) error(c.span, 'data-shape', problem);
    }
  }
  if (diags.length) throw new ModelError([...diags, ...warnings], program.source);
  addDerivedSizes(program, sizes);
  return { arrays, sizes, warnings };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function declaredBase(program: CheckedProgram, sym: SymbolInfo): string {
  const stmt = program.ast.body.find((s) => s.kind === 'data' && s.name === sym.name);
  if (stmt && stmt.kind === 'data') return stmt.type.base;
  return sym.type.elem;
}

function expectedText(t: ValueType, base: string, sizes: Map<string, number>): string {
  const names = [...new Set(t.shape.filter((d): d is string => typeof d === 'string'))];
  const known = names.map((d) => {
    const v = resolveDim(d, sizes);
    return `${showDims([d]).slice(1, -1)} = ${v === undefined ? 'unknown' : v}`;
  });
  const core = t.shape.length ? typeText(t, base) : base === 'int' || base === 'bool' ? `an ${base === 'int' ? 'int' : 'bool'}` : base === 'real' ? 'a real number' : `a ${base} number`;
  return known.length ? `${core} (${known.join(', ')})` : core;
}

function isUsedAsDim(program: CheckedProgram, name: string): boolean {
  for (const s of program.symbols.values()) if (s.type.shape.some((d) => affineOf(d).name === name)) return true;
  return program.symbols.get(name)?.kind === 'plate';
}

/** The answer to one deferred shape question, or undefined when the data satisfies it. */
function recheck(c: DeferredCheck, sizes: Map<string, number>, arrays: Map<string, DataArray>): string | undefined {
  switch (c.kind) {
    case 'dims': {
      const a = resolveDim(c.pair.a, sizes);
      const b = resolveDim(c.pair.b, sizes);
      if (a === undefined || b === undefined || a === b) return undefined;
      if (c.pair.allowOne && (a === 1 || b === 1)) return undefined;
      const show = (d: Dim, v: number): string => (typeof d === 'string' ? `${d} = ${v}` : String(v));
      return `sizes do not agree in ${c.what}: ${show(c.pair.a, a)}, but ${show(c.pair.b, b)}`;
    }
    case 'coverage': {
      const sub = (a: Affine): Affine => substituteSizes(a, sizes) ?? a;
      const shape = c.shape.map((d) => sub(affineOf(d)));
      const boxes = c.boxes.map((b) => ({ ...b, intervals: b.intervals.map((iv) => ({ lo: sub(iv.lo), hi: sub(iv.hi) })) }));
      const res = analyseCoverage(c.name, shape, boxes, c.requireFull);
      return res.problems.length ? `with these sizes, ${res.problems.map((p) => p.message).join('; ')}` : undefined;
    }
    case 'index-range': {
      const lo = substituteSizes(c.lo, sizes);
      const hi = substituteSizes(c.hi, sizes);
      const dim = resolveDim(c.dim, sizes);
      if (!lo || !hi || dim === undefined || lo.k >= hi.k) return undefined;
      const bad = lo.k < 0 ? lo.k : hi.k > dim ? hi.k - 1 : undefined;
      if (bad === undefined) return undefined;
      const size = typeof c.dim === 'string' ? `${showDims([c.dim]).slice(1, -1)} = ${dim}` : String(dim);
      return `${c.target}[${c.index}] reads index ${bad}, outside its axis of size ${size}`;
    }
    case 'gather': {
      const idx = arrays.get(c.index);
      const bound = resolveDim(c.bound, sizes);
      if (!idx || bound === undefined) return undefined;
      for (let i = 0; i < idx.values.length; i++) {
        const v = idx.values[i]!;
        if (v < 0 || v >= bound) {
          const b = typeof c.bound === 'string' ? `${c.bound} = ${bound}` : String(bound);
          return `${indexName(c.index, idx.shape, i)} = ${v} is out of range as an index into ${c.target} (axis of size ${b})`;
        }
      }
      return undefined;
    }
  }
}

/** Adds "T-1"-style dims (from slices and element loops) to the size table under their own spelling. */
function addDerivedSizes(program: CheckedProgram, sizes: Map<string, number>): void {
  const add = (d: Dim): void => {
    if (typeof d !== 'string' || sizes.has(d)) return;
    const v = resolveDim(d, sizes);
    if (v !== undefined) sizes.set(d, v);
  };
  for (const t of program.exprTypes.values()) t.shape.forEach(add);
  for (const s of program.symbols.values()) s.type.shape.forEach(add);
  for (const s of program.sites) s.type.shape.forEach(add);
  if (program.guide) {
    for (const s of program.guide.symbols.values()) s.type.shape.forEach(add);
    for (const s of program.guide.sites) s.type.shape.forEach(add);
  }
}
