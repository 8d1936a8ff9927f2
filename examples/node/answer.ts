// The second process: load a fit saved by fit.ts with Fit.fromJSON and answer the same
// questions from it, without fitting again.
//
//   node dist/examples/node/answer.js saved.json

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Fit } from '../../index.js';
import { answer } from './queries.js';

export async function main(argv: string[]): Promise<number> {
  const file = argv[0] ?? 'eight_schools.fit.json';
  const fit = await Fit.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
  console.log(JSON.stringify({ loaded: file, answers: answer(fit) }));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
