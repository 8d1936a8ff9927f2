// The divergence watch (inference/divergence.ts): a final ELBO window far below the best one, beyond
// its noise and by more than 5% of the ELBO, is a divergence, and the watch names the parameter
// that moved most; a dip within the noise, a small relative dip, or a fit still improving is not.

import { describe, expect, it } from 'vitest';
import { DivergenceWatch } from '../../inference/divergence.js';

/** Feed windows (step, mean, se, parameters) and return the verdict at the last parameters. */
function run(windows: [number, number, number, number[]][]) {
  const watch = new DivergenceWatch();
  let last: Float32Array | undefined;
  for (const [step, mean, se, params] of windows) {
    last = Float32Array.from(params);
    watch.observe(step, mean, se, last);
    // The watch keeps its own copy of the best parameters: later changes to the caller's do not reach it.
    last.fill(NaN);
    last = Float32Array.from(params);
  }
  return watch.verdict(last!);
}

describe('DivergenceWatch', () => {
  it("flags nes2000's pattern and names the coordinate that moved most", () => {
    const v = run([
      [250, -1052, 3, [0, 0, 0]],
      [500, -1044, 3, [0.1, 0, 0.2]],
      [1250, -5988, 400, [0.1, 0.3, 6]],
      [3000, -3243, 20, [0.2, 0.4, 6.6]],
    ]);
    expect(v).toEqual({ bestStep: 500, bestElbo: -1044, finalStep: 3000, finalElbo: -3243, movedMost: 2 });
  });

  it('a dip within the noise is not a divergence', () => {
    // 200 nats lower but the windows' standard errors are 60: 200 < 5 × 85.
    expect(run([[100, -1000, 60, [0]], [200, -1200, 60, [1]]])).toBeNull();
  });

  it('a dip beyond the noise but under 5% of the ELBO is not a divergence', () => {
    expect(run([[100, -1000, 1, [0]], [200, -1040, 1, [1]]])).toBeNull();
  });

  it('a fit that is still improving, or whose last window is its best, is not a divergence', () => {
    expect(run([[100, -5000, 1, [0]], [200, -2000, 1, [1]], [300, -1000, 1, [2]]])).toBeNull();
    expect(run([[100, -1000, 1, [0]]])).toBeNull();
  });
});

