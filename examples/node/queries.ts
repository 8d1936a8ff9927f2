// The questions both processes answer: the one that fits and the one that loads the saved fit.

import type { Fit } from '../../index.js';

export const QUERIES = ['P(mu > 0)', 'E(tau ^ 2)', 'quantile(mu, 0.9)', 'P(theta[0] > theta[2])', 'E(theta[0] - theta[2])'] as const;

export interface Answers {
  queries: Record<string, number>;
  summary: Record<string, { mean: number; sd: number; q5: number; q50: number; q95: number }>;
  /** Five draws of mu, to compare raw samples too. */
  muDraws: number[];
}

/** Every query's value, the summary and a few draws: what a service would hand its callers. */
export function answer(fit: Fit): Answers {
  const queries: Record<string, number> = {};
  for (const q of QUERIES) {
    const r = fit.query(q);
    if (r.kind === 'summary') throw new Error(`${q} is not a scalar query`);
    queries[q] = r.value;
  }
  return { queries, summary: fit.summary(), muDraws: fit.samples('mu', 5) as number[] };
}
