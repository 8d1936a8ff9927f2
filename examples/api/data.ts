import { bindData, compile, parseCsv } from '../../index.js';

// parseCsv(text, file): one column per name; bindData / model.bind check data against the
// declarations, fill sizes and defaults, and throw ModelError naming each problem.
const model = compile('data N: int\ndata x: real[N]\ndata y: real[N]\ndata s: real = 1\na ~ Normal(0, 5)\ny ~ Normal(a * x, s)', { file: 'reg.tilde' });
const columns = parseCsv('x,y\n1,2.1\n2,3.9\n3,6.2\n', 'reg.csv');
console.log(columns); // { x: [1, 2, 3], y: [2.1, 3.9, 6.2] }

const bound = bindData(model.program, { N: 3, ...columns }, 'reg.csv');
console.log([...bound.arrays.keys()]); // N, x, y and the default s
model.bind({ N: 3, ...columns }); // the same, as a method

export const result = { columns, names: [...bound.arrays.keys()].sort() };
