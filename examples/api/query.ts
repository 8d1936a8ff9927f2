import { fit } from './fit.js';

// fit.query(text): probabilities, expectations, quantiles, or a summary of any expression.
const above = fit.query('P(p > 0.5)'); // { kind: 'probability', value, se, draws }
const second = fit.query('E(p ^ 2)'); // { kind: 'expectation', value, se, draws }
const q90 = fit.query('quantile(p, 0.9)'); // { kind: 'quantile', value, q, draws }
const odds = fit.query('p / (1 - p)'); // { kind: 'summary', rows: { 'p / (1 - p)': { mean, … } }, draws }
console.log(above, second, q90, odds);

export const result = { above, second, q90, odds };
