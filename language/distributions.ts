// The one declarative table of distribution families. The checker reads it for
// names, arity and argument types; the engine reads its capability flags to plan
// estimators and pick automatic guides; the docs are written from it.

/** What values a parameter may take; checked at compile time by type, at run time by value. */
export type ParamConstraint =
  | 'real'
  | 'positive'
  | 'unit' // 0 < p < 1
  | 'simplex' // last dimension sums to one
  | 'count' // a non-negative integer (Binomial's total_count)
  | 'ordered'; // strictly increasing along the last dimension (OrderedLogistic's cutpoints)

export interface ParamSpec {
  name: string;
  constraint: ParamConstraint;
  /** 1 when the parameter carries an extra trailing dimension beyond the value's (Categorical's K, MultiNormal's cov [K, K] for values [K]). */
  extraRank: 0 | 1;
  /** The parameter's trailing [K, K] must be square (a covariance or its Cholesky factor). */
  square?: boolean;
}

/** The set a family's values live in. */
export type Support =
  | { kind: 'real' }
  | { kind: 'positive' }
  | { kind: 'unit' }
  | { kind: 'interval' } // (low, high) from Uniform's arguments
  | { kind: 'circular' } // angles in [−π, π] (VonMises)
  | { kind: 'simplex' }
  | { kind: MatrixSupport } // K×K, K from the declared type (LKJ families)
  | { kind: 'binary' } // {0, 1}
  | { kind: 'categorical' } // {0 … K−1}: K is the parameter's last dimension (Categorical), or one more than it (OrderedLogistic's cutpoints)
  | { kind: 'bounded-count' } // {0 … n}, n from total_count
  | { kind: 'count' }; // {0, 1, 2, …}

/** The constrained matrix supports; each is named as the type that declares it. */
export type MatrixSupport = 'cholesky_factor_corr' | 'cholesky_factor_cov' | 'corr_matrix' | 'cov_matrix';

export interface FamilySpec {
  name: string;
  /** Positional order. Parameters that appear in `oneOf` are alternatives: exactly one is given. */
  params: ParamSpec[];
  /** Groups of mutually exclusive parameter names (probs | logits). */
  oneOf?: string[][];
  support: Support;
  discrete: boolean;
  /** Has a reparameterised sampler z = T(θ, ε). */
  reparam: boolean;
  /** Discrete with a relaxation (RELAX / concrete apply). */
  relaxable: boolean;
  /** Discrete with support small and finite, so enumeration is possible. */
  finite: boolean;
  /**
   * 1 when one draw is a vector (Dirichlet); 0 for scalar draws; 2 when one draw is a K×K matrix
   * whose K no argument carries, so it comes from the site's declared type (LKJ families).
   */
  eventRank: 0 | 1 | 2;
  /** One line for docs and `:help`. */
  doc: string;
  /**
   * The stem of its log-density functions (`normal` → `normal_lpdf`); by default the snake_case
   * of the name (HalfNormal → half_normal, StudentT → student_t).
   */
  stem?: string;
  /** The engine computes its CDF: `_lcdf`, `_lccdf`, `_cdf` exist and `~ … T[lo, hi]` may truncate it. */
  cdf?: boolean;
}

const p = (name: string, constraint: ParamConstraint, extraRank: 0 | 1 = 0): ParamSpec => ({ name, constraint, extraRank });

const continuous = { discrete: false, reparam: true, relaxable: false, finite: false, eventRank: 0 as const };
// Gamma-type families have no cheap exact pathwise sampler in tfjs (their draws come from
// rejection samplers); as guide sites they take the score-function estimator. As model
// priors this does not matter: automatic guides live in unconstrained space.
const continuousNoRsample = { ...continuous, reparam: false };
const counts = { discrete: true, reparam: false, relaxable: false, finite: false, eventRank: 0 as const };

export const FAMILIES: readonly FamilySpec[] = [
  { name: 'Normal', cdf: true, params: [p('loc', 'real'), p('scale', 'positive')], support: { kind: 'real' }, ...continuous, doc: 'Gaussian with mean loc and standard deviation scale' },
  { name: 'HalfNormal', cdf: true, params: [p('scale', 'positive')], support: { kind: 'positive' }, ...continuous, doc: '|x| for x ~ Normal(0, scale)' },
  { name: 'Cauchy', cdf: true, params: [p('loc', 'real'), p('scale', 'positive')], support: { kind: 'real' }, ...continuous, doc: 'Cauchy with location and scale' },
  { name: 'HalfCauchy', cdf: true, params: [p('scale', 'positive')], support: { kind: 'positive' }, ...continuous, doc: '|x| for x ~ Cauchy(0, scale)' },
  { name: 'StudentT', params: [p('df', 'positive'), p('loc', 'real'), p('scale', 'positive')], support: { kind: 'real' }, ...continuous, doc: "Student's t with df degrees of freedom" },
  { name: 'Laplace', cdf: true, params: [p('loc', 'real'), p('scale', 'positive')], support: { kind: 'real' }, ...continuous, doc: 'double exponential' },
  { name: 'LogNormal', stem: 'lognormal', cdf: true, params: [p('loc', 'real'), p('scale', 'positive')], support: { kind: 'positive' }, ...continuous, doc: 'exp(x) for x ~ Normal(loc, scale)' },
  { name: 'Exponential', cdf: true, params: [p('rate', 'positive')], support: { kind: 'positive' }, ...continuous, doc: 'exponential with mean 1/rate' },
  { name: 'Gamma', params: [p('shape', 'positive'), p('rate', 'positive')], support: { kind: 'positive' }, ...continuousNoRsample, doc: 'gamma with mean shape/rate' },
  { name: 'InverseGamma', stem: 'inv_gamma', params: [p('shape', 'positive'), p('scale', 'positive')], support: { kind: 'positive' }, ...continuousNoRsample, doc: '1/x for x ~ Gamma(shape, scale)' },
  { name: 'Beta', params: [p('a', 'positive'), p('b', 'positive')], support: { kind: 'unit' }, ...continuousNoRsample, doc: 'beta on (0, 1)' },
  { name: 'Logistic', cdf: true, params: [p('loc', 'real'), p('scale', 'positive')], support: { kind: 'real' }, ...continuous, doc: 'logistic with location and scale (variance scale²π²/3)' },
  {
    name: 'SkewNormal', params: [p('loc', 'real'), p('scale', 'positive'), p('alpha', 'real')], support: { kind: 'real' }, ...continuous,
    doc: 'skew normal: 2/scale · φ(z) Φ(alpha z) with z = (x − loc)/scale; alpha = 0 is Normal',
  },
  { name: 'Weibull', cdf: true, params: [p('shape', 'positive'), p('scale', 'positive')], support: { kind: 'positive' }, ...continuous, doc: 'Weibull with P(X > x) = exp(−(x/scale)^shape)' },
  // Drawn by Best and Fisher's rejection sampler: no pathwise gradient.
  {
    name: 'VonMises', params: [p('loc', 'real'), p('kappa', 'positive')], support: { kind: 'circular' }, ...continuousNoRsample,
    doc: 'angles in [−π, π] with density exp(kappa cos(x − loc)) / (2π I₀(kappa))',
  },
  { name: 'Uniform', cdf: true, params: [p('low', 'real'), p('high', 'real')], support: { kind: 'interval' }, ...continuous, doc: 'uniform on (low, high)' },
  {
    name: 'MultiNormal', params: [p('loc', 'real'), { ...p('cov', 'real', 1), square: true }], support: { kind: 'real' }, ...continuous, eventRank: 1,
    doc: 'multivariate normal with mean vector loc and covariance matrix cov (symmetric positive definite); the last dimension is the event',
  },
  {
    name: 'MultiNormalCholesky', params: [p('loc', 'real'), { ...p('scale_tril', 'real', 1), square: true }], support: { kind: 'real' }, ...continuous, eventRank: 1,
    doc: 'multivariate normal with covariance scale_tril·scale_trilᵀ, scale_tril lower triangular with a positive diagonal',
  },
  { name: 'Dirichlet', params: [p('concentration', 'positive')], support: { kind: 'simplex' }, ...continuousNoRsample, eventRank: 1, doc: 'distribution over the simplex; the last dimension is the event' },
  {
    name: 'LKJCorrCholesky', params: [p('eta', 'positive')], support: { kind: 'cholesky_factor_corr' }, ...continuousNoRsample, eventRank: 2,
    doc: "Cholesky factor L of an LKJ(eta) correlation matrix L Lᵀ (Stan's lkj_corr_cholesky); declare L: cholesky_factor_corr[K]",
  },
  {
    name: 'LKJCorr', params: [p('eta', 'positive')], support: { kind: 'corr_matrix' }, ...continuousNoRsample, eventRank: 2,
    doc: 'correlation matrix with density ∝ det(Ω)^(eta − 1) (LKJ); declare Omega: corr_matrix[K]',
  },
  {
    name: 'Bernoulli', params: [p('probs', 'unit'), p('logits', 'real')], oneOf: [['probs', 'logits']],
    support: { kind: 'binary' }, discrete: true, reparam: false, relaxable: true, finite: true, eventRank: 0, doc: '1 with probability probs (or sigmoid(logits)), else 0',
  },
  {
    name: 'Categorical', params: [p('probs', 'simplex', 1), p('logits', 'real', 1)], oneOf: [['probs', 'logits']],
    support: { kind: 'categorical' }, discrete: true, reparam: false, relaxable: true, finite: true, eventRank: 0, doc: 'an index 0 … K−1; K is the last dimension of probs or logits',
  },
  {
    name: 'Binomial', params: [p('total_count', 'count'), p('probs', 'unit'), p('logits', 'real')], oneOf: [['probs', 'logits']],
    support: { kind: 'bounded-count' }, discrete: true, reparam: false, relaxable: false, finite: true, eventRank: 0, doc: 'successes in total_count trials',
  },
  {
    name: 'BetaBinomial', params: [p('total_count', 'count'), p('a', 'positive'), p('b', 'positive')],
    support: { kind: 'bounded-count' }, discrete: true, reparam: false, relaxable: false, finite: true, eventRank: 0, doc: 'Binomial(total_count, p) with p ~ Beta(a, b)',
  },
  { name: 'Poisson', params: [p('rate', 'positive')], support: { kind: 'count' }, discrete: true, reparam: false, relaxable: false, finite: false, eventRank: 0, doc: 'counts with mean rate' },
  { name: 'Geometric', params: [p('probs', 'unit')], support: { kind: 'count' }, discrete: true, reparam: false, relaxable: false, finite: false, eventRank: 0, doc: 'failures before the first success' },
  {
    name: 'NegBinomial', params: [p('alpha', 'positive'), p('beta', 'positive')], support: { kind: 'count' }, ...counts,
    doc: "Stan's neg_binomial: Poisson(λ) with λ ~ Gamma(alpha, rate beta); mean alpha/beta",
  },
  {
    name: 'NegBinomial2', params: [p('mu', 'positive'), p('phi', 'positive')], support: { kind: 'count' }, ...counts,
    doc: "Stan's neg_binomial_2: mean mu, variance mu + mu²/phi",
  },
  {
    name: 'OrderedLogistic', params: [p('eta', 'real'), p('cutpoints', 'ordered', 1)],
    support: { kind: 'categorical' }, discrete: true, reparam: false, relaxable: false, finite: true, eventRank: 0,
    doc: 'a category 0 … K−1 (0-based, unlike Stan) of a latent logistic eta cut at the K−1 increasing cutpoints',
  },
  {
    name: 'OrderedProbit', params: [p('eta', 'real'), p('cutpoints', 'ordered', 1)],
    support: { kind: 'categorical' }, discrete: true, reparam: false, relaxable: false, finite: true, eventRank: 0,
    doc: 'OrderedLogistic with a standard normal latent: P(y ≤ k) = Φ(cutpoints[k] − eta)',
  },
];

const byName = new Map(FAMILIES.map((f) => [f.name, f]));

export function family(name: string): FamilySpec | undefined {
  return byName.get(name);
}

export const FAMILY_NAMES: readonly string[] = FAMILIES.map((f) => f.name);

/** HalfNormal → half_normal, StudentT → student_t, NegBinomial2 → neg_binomial_2. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z])([A-Z0-9])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

export function familyStem(f: FamilySpec): string {
  return f.stem ?? snakeCase(f.name);
}

/** Estimator annotations a site may carry (`~ Bernoulli(0.5) @relax`). */
export const ESTIMATORS = ['reparam', 'reinforce', 'relax', 'lax', 'concrete', 'enumerate', 'marginalize'] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];
