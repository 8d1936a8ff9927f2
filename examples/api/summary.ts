import { fit } from './fit.js';

// fit.summary(): mean, sd and 5/50/95% quantiles per scalar element ('theta[0]', …).
const rows = fit.summary();
console.log(rows['p']); // { mean: 0.47…, sd: 0.11…, q5: 0.29…, q50: 0.47…, q95: 0.65… }  (exact: Beta(9, 10))

export const result = rows;
