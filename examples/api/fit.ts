import { compile, type Progress } from '../../index.js';

// model.fit(options) runs variational inference and resolves with a Fit.
const model = compile('data N: int\ndata x: int[N]\np ~ Beta(2, 2)\nx ~ Bernoulli(p)', { file: 'coin.tilde' });
const progress: Progress[] = [];

export const fit = await model.fit({
  data: { N: 15, x: [0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0] },
  seed: 1,
  steps: 2000, // an upper bound: the fit stops when the ELBO converges
  backend: 'cpu',
  signal: AbortSignal.timeout(60_000), // give up (keeping the fit so far) after a minute
  onProgress: (p) => progress.push(p), // every 100 steps: step, elbo, smoothedElbo, stepsPerSecond, phase, maxSteps
});

console.log(fit.diagnostics.stopped, fit.summary()['p']); // converged { mean: ≈0.47, sd: ≈0.11, … }

export const result = { stopped: fit.diagnostics.stopped, progressEvents: progress.length, lastStep: progress.at(-1)?.step };
