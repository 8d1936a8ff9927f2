// Lifetimes as tfjs has them: a tensor made inside `tidy` is disposed when the
// tidy returns unless it is returned or kept. The values would be collected
// anyway; the count is kept so that the tests of tensor discipline (a long fit
// holds a flat number of tensors) mean the same on either engine.

import { registry, Tensor, Variable } from './tensor.js';

const kept = new WeakSet<Tensor>();

/**
 * Tensors in a value, found as tfjs's getTensorsInContainer finds them: the value itself, or any
 * object's enumerable properties, recursively (arrays, plain objects, class instances). Typed
 * arrays hold no tensors and are not walked.
 */
function tensorsIn(x: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (x instanceof Tensor) {
    out.add(x);
    return;
  }
  if (x === null || typeof x !== 'object' || seen.has(x) || ArrayBuffer.isView(x)) return;
  seen.add(x);
  // As tfjs's tidy: arrays, and the enumerable properties of any other object.
  if (Array.isArray(x)) for (const v of x) tensorsIn(v, out, seen);
  else for (const k in x) tensorsIn((x as Record<string, unknown>)[k], out, seen);
}

/**
 * Runs `fn`; tensors it made are disposed when it returns (or throws), but for those in its
 * result, which join the enclosing tidy, and those kept. Variables are never disposed here.
 */
export function tidy<R>(nameOrFn: string | (() => R), fn?: () => R): R {
  const f = typeof nameOrFn === 'function' ? nameOrFn : fn;
  if (typeof f !== 'function') throw new Error('The last argument to tidy() must be a function');
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
  // A lone tensor (every op's result) needs no walk.
  const returned = result instanceof Tensor ? result : new Set<Tensor>();
  if (returned instanceof Set) tensorsIn(result, returned, new Set());
  const parent = registry.scopes.at(-1);
  for (const t of scope) {
    if (returned instanceof Set ? returned.has(t) : returned === t) parent?.add(t);
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
  return { numTensors: registry.live, numDataBuffers: registry.buffers, numBytes: registry.bytes, unreliable: false };
}
