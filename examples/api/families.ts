import { FAMILIES, FIT_DEFAULTS } from '../../index.js';

// FAMILIES: the distributions the language knows, with their parameters and support.
const names = FAMILIES.map((f) => f.name);
console.log(names.join(', ')); // Normal, HalfNormal, Cauchy, HalfCauchy, StudentT, …
const normal = FAMILIES.find((f) => f.name === 'Normal')!;
console.log(normal.params.map((q) => q.name), normal.support, normal.doc); // [ 'loc', 'scale' ] { kind: 'real' } Gaussian …

// FIT_DEFAULTS: the options a fit uses when none are given.
console.log(FIT_DEFAULTS); // { steps: 10000, particles: 8, lr: 0.05, seed: 1, guide: 'meanfield', … }

export const result = { names, normal: normal.params.map((q) => q.name), defaults: FIT_DEFAULTS };
