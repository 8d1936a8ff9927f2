#!/usr/bin/env node
// The installed command. It runs the bundled program (dist/cli/, made by `npm run
// build`; see load-bundle.js for its two forms), which starts several times faster
// than the module tree it is built from; it falls back to that tree (dist/repl/cli.js)
// when there is no bundle, when @tensorflow/tfjs-node is installed (it must share
// tfjs-core with tilde, which a bundle cannot), or when TILDE_UNBUNDLED=1 asks for it.
import { bundleUsable, loadBatch, loadEsm } from './load-bundle.js';

// `tilde check m.tilde | head`: a reader that closes the pipe early ends the output, not in a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// The REPL (the default command) and `serve` need Ink, which only the ES module bundle holds.
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
const interactive = command === undefined || command === 'repl' || command === 'serve';

let main;
if (bundleUsable()) {
  main = (!interactive && loadBatch()?.main) || (await loadEsm()).main;
} else {
  ({ main } = await import('../dist/repl/cli.js'));
}

process.exitCode = await main(process.argv);
