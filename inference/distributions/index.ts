// The engine's entry to the distribution families: one constructor per family
// of language/distributions.ts, looked up by name.
import { FAMILY_NAMES } from '../../language/distributions.js';
import { cauchy, exponential, halfCauchy, halfNormal, laplace, logistic, logNormal, normal, skewNormal, studentT, uniform, weibull } from './continuous.js';
import { vonMises } from './circular.js';
import { betaBinomial, negBinomial, negBinomial2 } from './overdispersed.js';
import { orderedLogistic, orderedProbit } from './ordinal.js';
import { bernoulli, binomial, categorical, geometric, poisson } from './discrete.js';
import { beta, dirichlet, gamma, inverseGamma } from './gamma.js';
import { multiNormal, multiNormalCholesky } from './multinormal.js';
import { lkjCorr, lkjCorrCholesky } from './lkj.js';
import type { Distribution, Params } from './types.js';

export type { CategoricalDistribution, Distribution, Params } from './types.js';
export { checkParams } from './check.js';

const CONSTRUCTORS: Record<string, (params: Params) => Distribution> = {
  Normal: normal,
  HalfNormal: halfNormal,
  Cauchy: cauchy,
  HalfCauchy: halfCauchy,
  StudentT: studentT,
  Laplace: laplace,
  LogNormal: logNormal,
  Exponential: exponential,
  Gamma: gamma,
  InverseGamma: inverseGamma,
  Beta: beta,
  Logistic: logistic,
  SkewNormal: skewNormal,
  Weibull: weibull,
  VonMises: vonMises,
  Uniform: uniform,
  Dirichlet: dirichlet,
  MultiNormal: multiNormal,
  MultiNormalCholesky: multiNormalCholesky,
  LKJCorrCholesky: lkjCorrCholesky,
  LKJCorr: lkjCorr,
  Bernoulli: bernoulli,
  Categorical: categorical,
  Binomial: binomial,
  Poisson: poisson,
  Geometric: geometric,
  BetaBinomial: betaBinomial,
  NegBinomial: negBinomial,
  NegBinomial2: negBinomial2,
  OrderedLogistic: orderedLogistic,
  OrderedProbit: orderedProbit,
};

// A family added to the table without a constructor should fail loudly at load.
for (const name of FAMILY_NAMES) {
  if (CONSTRUCTORS[name] === undefined) throw new Error(`internal: no distribution constructor for family ${name}`);
}

export function makeDistribution(family: string, params: Params): Distribution {
  const make = CONSTRUCTORS[family];
  if (make === undefined) throw new Error(`unknown distribution family '${family}'`);
  return make(params);
}
