import { compile } from '../../index.js';

// compile(source, { file }) parses and checks a model; `file` names it in diagnostics.
const model = compile(
  `data N: int
data x: int[N]
p ~ Beta(2, 2)
x ~ Bernoulli(p)`,
  { file: 'coin.tilde' },
);

console.log(model.program.mode); // 'inference'
console.log(model.plan.entries.map((e) => `${e.site}: ${e.estimator}`)); // [ 'p: reparam' ]

export const result = { mode: model.program.mode, sites: model.plan.entries.map((e) => e.site) };
