// Pareto-smoothed importance sampling diagnostic k̂ (Vehtari et al. 2015/2024;
// Yao et al. 2018 "Yes, but did it work?"): fit a generalised Pareto
// distribution to the largest importance ratios p/q of draws from the fitted
// approximation. k̂ < 0.5 good, 0.5–0.7 ok, > 0.7 the approximation is unreliable.

/** k̂ of the tail of log importance ratios; NaN when there are too few draws. */
export function paretoKhat(logRatios: ArrayLike<number>): number {
  const n = logRatios.length;
  // A typed array sorts numerically without a comparator: several times faster, at start-up too.
  const sorted = Float64Array.from(logRatios).filter((x) => Number.isFinite(x)).sort();
  if (sorted.length < 20) return NaN;
  const m = Math.min(Math.ceil(0.2 * n), Math.ceil(3 * Math.sqrt(n)));
  const tail = Array.from(sorted.subarray(sorted.length - m));
  const cutoff = sorted[sorted.length - m - 1]!;
  // Ratios relative to the cutoff, shifted by the max to stay finite.
  const maxLog = tail[tail.length - 1]!;
  const exceed = tail.map((lw) => Math.exp(lw - maxLog) - Math.exp(cutoff - maxLog));
  if (exceed.every((x) => x <= 0)) return NaN;
  return gpdFitZhangStephens(exceed).k;
}

/**
 * Generalised Pareto fit by Zhang & Stephens (2009), with the weakly informative
 * prior on k used by PSIS (shrinks toward 0.5 with weight 10 pseudo-observations).
 * `x` must be sorted ascending and positive.
 */
export function gpdFitZhangStephens(x: number[]): { k: number; sigma: number } {
  const n = x.length;
  const prior = 3;
  const M = 30 + Math.floor(Math.sqrt(n));
  const xStar = x[Math.floor(n / 4 + 0.5) - 1]!;
  const xMax = x[n - 1]!;
  const thetas: number[] = [];
  for (let j = 1; j <= M; j++) thetas.push(1 / xMax + (1 - Math.sqrt(M / (j - 0.5))) / (prior * xStar));
  // Profile log-likelihood of θ with k(θ) = mean log(1 − θx) profiled out.
  const logLik = thetas.map((theta) => {
    let s = 0;
    for (const xi of x) s += Math.log1p(-theta * xi);
    const k = s / n;
    return n * (Math.log(-theta / k) - k - 1);
  });
  // Posterior weights of each θ on the grid.
  const w = logLik.map((l) => {
    let denom = 0;
    for (const l2 of logLik) denom += Math.exp(l2 - l);
    return 1 / denom;
  });
  let thetaHat = 0;
  for (let j = 0; j < M; j++) thetaHat += w[j]! * thetas[j]!;
  let s = 0;
  for (const xi of x) s += Math.log1p(-thetaHat * xi);
  let k = s / n;
  const sigma = -k / thetaHat;
  // Vehtari et al.: shrink k toward 0.5 as if 10 more observations had k = 0.5.
  k = (k * n + 0.5 * 10) / (n + 10);
  return { k, sigma };
}
