import { fit } from './fit.js';

// fit.plan / fit.planJSON(): the gradient estimator chosen for each stochastic node, and why.
const plan = fit.planJSON();
console.log(plan); // { p: { estimator: 'reparam', reason: 'Beta; automatic Normal guide in unconstrained space (ADVI) (coin.tilde:3)' } }
for (const e of fit.plan.entries) console.log(`${e.site}: ${e.estimator} (${e.family})`);

export const result = plan;
