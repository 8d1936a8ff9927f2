// The points where the tracer (trace.ts) listens to the engine while a program runs
// once: each random draw (to become a noise input of the IR), each second handle on a
// buffer, each stretch that runs with the gradient tape off (a held-constant value),
// and each seed taken from a step's random stream. Outside a trace every hook is
// undefined and costs one property read.

export interface TraceHooks {
  /** A tensor of fresh noise was drawn. */
  noise?: (t: object, kind: 'normal' | 'uniform') => void;
  /** `to` is a second handle on `from`'s buffer (tape-save.ts's alias). */
  alias?: (from: object, to: object) => void;
  /** Entering (+1) or leaving (−1) a stretch whose values are constants to every gradient. */
  untaped?: (delta: 1 | -1) => void;
  /** A seed was taken from a random stream (Rng.int). */
  seed?: () => void;
  /** `t` holds values the step is given anew each time it runs (a minibatch's indices), known by `key`. */
  input?: (t: object, key: string) => void;
}

export const traceHooks: TraceHooks = {};
