// The points where the tracer (trace.ts) listens to the model code while a program
// runs once: each random draw (to become a noise input of the IR), each array of
// indices given anew at every step, and each seed taken from a step's random stream.
// Outside a trace every hook is undefined and costs one property read.

export interface TraceHooks {
  /** A tensor of fresh noise was drawn. */
  noise?: (t: object, kind: 'normal' | 'uniform') => void;
  /** A seed was taken from a random stream (Rng.int). */
  seed?: () => void;
  /** `t` holds values the step is given anew each time it runs (a minibatch's indices), known by `key`. */
  input?: (t: object, key: string) => void;
}

export const traceHooks: TraceHooks = {};
