import { fit } from './fit.js';

// fit.samples(name, n): the first n posterior draws (numbers, or nested arrays for arrays).
const draws = fit.samples('p', 5) as number[];
console.log(draws); // five numbers in (0, 1)

// fit.posterior holds every draw: a Float32Array per name, draws × elements.
const all = fit.posterior.draws.get('p')!;
console.log(fit.posterior.nDraws, all.shape, all.values.length); // 1000 [] 1000

export const result = { draws, nDraws: fit.posterior.nDraws, length: all.values.length };
