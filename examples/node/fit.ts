// A Node app embedding tilde: compile a model from a string, fit it with progress events
// and an AbortSignal timeout, save the fit with toJSON(), print the answers as JSON.
//
//   npm run build && node dist/examples/node/fit.js [saved.json] [--timeout-ms N]
//   node dist/examples/node/answer.js saved.json        (a second process answers from the file)

import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { compile, ModelError } from '../../index.js';
import { answer } from './queries.js';

const SOURCE = `
data J: int
data y: real[J]
data sigma: real[J]

mu ~ Normal(0, 5)
tau ~ HalfCauchy(5)
theta_raw: real[J] ~ Normal(0, 1)
theta = mu + tau * theta_raw
y ~ Normal(theta, sigma)
`;

const DATA = { J: 8, y: [28, 8, -3, 7, -1, 1, 18, 12], sigma: [15, 10, 16, 11, 9, 11, 10, 18] };

export async function main(argv: string[]): Promise<number> {
  const out = argv.find((a) => !a.startsWith('--')) ?? 'eight_schools.fit.json';
  const t = argv.indexOf('--timeout-ms');
  const timeoutMs = t >= 0 ? Number(argv[t + 1]) : 60_000;

  let model;
  try {
    model = compile(SOURCE, { file: 'eight_schools.tilde' });
  } catch (e) {
    if (e instanceof ModelError) {
      console.error(e.message); // file:line:col, the line, a caret
      return 1;
    }
    throw e;
  }

  const fit = await model.fit({
    data: DATA,
    seed: 7,
    backend: 'cpu', // fromJSON reselects the saved backend, so the reloaded draws are identical
    signal: AbortSignal.timeout(timeoutMs), // a nightly job must not hang: stop and keep what we have
    onProgress: (p) => console.error(`step ${p.step}/${p.maxSteps}  ELBO ${p.smoothedElbo.toFixed(2)}  ${Math.round(p.stepsPerSecond)} steps/s  ${p.phase}`),
  });
  const d = fit.diagnostics;
  console.error(`${d.stopped}: ${d.steps} steps in ${d.seconds.toFixed(2)} s on ${d.backend}, ELBO ${d.elbo.toFixed(2)}`);
  if (d.stopped === 'aborted') console.error(`timed out after ${timeoutMs} ms: saving the fit so far`);

  writeFileSync(out, JSON.stringify(fit.toJSON()));
  console.log(JSON.stringify({ stopped: d.stopped, saved: out, answers: answer(fit) }));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
