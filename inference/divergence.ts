// A fit that got worse and stayed worse. Adam can throw a full-rank guide off a cliff while every
// ELBO stays finite, so the fit loop's non-finite check never fires: nes2000 from random inits
// (tolRelObj 1e-4) climbed to an ELBO of −1,044 by step 750, fell to −5,988 at step 1,250 and ended
// at −3,243 with sigma at 742 against a posterior of 1.79 — and returned as if all was well.
// The watch keeps the parameters of the best ELBO window and, at the end, says whether the final
// window is worse beyond noise and by a margin no honest fit loses, and which guide moved most.

/** Standard errors the final window must fall below the best one by (windows are ~independent). */
const NOISE_SES = 5;
/** ...and a fraction of the ELBO's size: averaging at a smaller step size never loses this much. */
const RELATIVE = 0.05;

export interface Diverged {
  bestStep: number;
  bestElbo: number;
  finalStep: number;
  finalElbo: number;
  /** Index into the flat parameter vector that moved most between the best window and the end. */
  movedMost: number;
}

export class DivergenceWatch {
  private best: { step: number; mean: number; se: number; flat: Float32Array } | undefined;
  private last: { step: number; mean: number; se: number } | undefined;

  /** One ELBO window (mean of its per-step estimates, its standard error) and the parameters after it. */
  observe(step: number, mean: number, se: number, flat: Float32Array): void {
    this.last = { step, mean, se };
    if (this.best && mean <= this.best.mean) return;
    this.best = { step, mean, se, flat: Float32Array.from(flat) };
  }

  /** Whether the final window fell beyond noise and margin below the best, with the parameters now. */
  verdict(flat: Float32Array): Diverged | null {
    const { best, last } = this;
    if (!best || !last || last.step === best.step) return null;
    const drop = best.mean - last.mean;
    const se = Number.isFinite(best.se) && Number.isFinite(last.se) ? Math.hypot(best.se, last.se) : Infinity;
    if (!(drop > NOISE_SES * se && drop > RELATIVE * Math.abs(best.mean))) return null;
    let movedMost = 0;
    for (let i = 1; i < flat.length; i++) if (Math.abs(flat[i]! - best.flat[i]!) > Math.abs(flat[movedMost]! - best.flat[movedMost]!)) movedMost = i;
    return { bestStep: best.step, bestElbo: best.mean, finalStep: last.step, finalElbo: last.mean, movedMost };
  }

  dispose(): void {
    this.best = undefined;
  }
}
