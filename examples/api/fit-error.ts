import { compile, FitError } from '../../index.js';

// Problems found while fitting (not in the source) are FitErrors; bad options are RangeErrors;
// data that do not match the declarations are ModelErrors naming the data file.
const model = compile('data N: int\ndata y: real[N]\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1)', { file: 'm.tilde' });
const outcomes: string[] = [];
for (const attempt of [
  () => model.fit({ data: { N: 2, y: [1, 2] }, steps: 0 }),
  () => model.fit({ data: { N: 3, y: [1, 2] }, dataFile: 'm.json' }),
]) {
  try {
    await attempt();
  } catch (e) {
    const kind = e instanceof FitError ? 'FitError' : (e as Error).name;
    outcomes.push(`${kind}: ${(e as Error).message.split('\n')[0]}`);
  }
}
console.log(outcomes);
// [ 'RangeError: fit option steps must be a positive integer, found 0',
//   'ModelError: m.tilde:2:6: y: expected real[N] (N = 3), found an array of 2 numbers (in m.json)' ]

export const result = outcomes;
