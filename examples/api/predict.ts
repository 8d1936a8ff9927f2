import { fit } from './fit.js';

// fit.predict(name): the posterior predictive summary of an observed variable, per element.
const x = fit.predict('x');
console.log(x['x[0]']); // { mean: ≈0.47, … }: the chance that a new flip comes up heads

export const result = x;
