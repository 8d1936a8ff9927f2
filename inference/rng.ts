import seedrandom from 'seedrandom';
import { traceHooks } from './compile/hooks.js';

/**
 * A seeded stream of random numbers. Every random choice of a fit comes from
 * one root Rng split per purpose, so the same seed reproduces a fit exactly
 * and adding a new consumer of randomness does not shift the others' streams.
 */
export class Rng {
  private readonly key: string;
  private readonly prng: seedrandom.PRNG;
  private spare: number | undefined;

  constructor(seed: number | string) {
    // The type tag keeps the number 1 and the string "1" apart.
    this.key = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
    this.prng = seedrandom(this.key);
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    return this.prng.double();
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  }

  /** A non-negative 31-bit integer: the seed type tfjs random ops accept. */
  int(): number {
    traceHooks.seed?.();
    return Math.floor(this.uniform() * 0x80000000);
  }

  /** Consumes one seed's worth of the stream without drawing with it (keeps passes aligned, as int() would). */
  skip(): void {
    this.prng.double();
  }

  /**
   * An independent child stream that depends only on this stream's seed and
   * the purpose, not on how much of this stream was consumed.
   */
  split(purpose: string): Rng {
    return new Rng(`${this.key}/${purpose}`);
  }
}
