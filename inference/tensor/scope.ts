// Lifetimes as tfjs has them: a tensor made inside `tidy` is disposed when the
// tidy returns unless it is returned or kept. The values would be collected
// anyway; the count is kept so that the tests of tensor discipline (a long fit
// holds a flat number of tensors) mean the same on either engine.

import { registry, Tensor, Variable } from './tensor.js';

const kept = new WeakSet<Tensor>();

/** Tensors in a returned value: the value itself, or inside arrays and objects. */
function tensorsIn(x: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (x instanceof Tensor) {
    out.add(x);
    return;
  }
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  // As tfjs's tidy: arrays, and the enumerable properties of any other object.
  if (Array.isArray(x)) for (const v of x) tensorsIn(v, out, seen);
  else for (const k in x) tensorsIn((x as Record<string, unknown>)[k], out, seen);
}

export function tidy<R>(nameOrFn: string | (() => R), fn?: () => R): R {
  const f = typeof nameOrFn === 'function' ? nameOrFn : fn!;
  const scope = new Set<Tensor>();
  registry.scopes.push(scope);
  let result: R;
  try {
    result = f();
  } catch (e) {
    // A throw ends the scope too: what it made is disposed, as tfjs's tidy does.
    registry.scopes.pop();
    for (const t of scope) if (!kept.has(t) && !(t instanceof Variable)) t.dispose();
    throw e;
  }
  registry.scopes.pop();
  const returned = new Set<Tensor>();
  tensorsIn(result, returned, new Set());
  const parent = registry.scopes.at(-1);
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else if (!kept.has(t) && !(t instanceof Variable)) t.dispose();
  }
  return result;
}

/** Exempts `t` from every enclosing tidy. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  for (const s of registry.scopes) s.delete(t);
  return t;
}

export function dispose(x: unknown): void {
  const ts = new Set<Tensor>();
  tensorsIn(x, ts, new Set());
  for (const t of ts) t.dispose();
}

export function memory(): { numTensors: number; numDataBuffers: number; numBytes: number; unreliable: boolean } {
  return { numTensors: registry.live, numDataBuffers: registry.live, numBytes: registry.bytes, unreliable: false };
}
