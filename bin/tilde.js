#!/usr/bin/env node
// The installed command. It runs the bundled program (dist/cli/, made by `npm run
// build`), which starts several times faster than the module tree it is built from;
// it falls back to that tree (dist/repl/cli.js) when there is no bundle, when
// @tensorflow/tfjs-node is installed (it must share tfjs-core with tilde, which a
// bundle cannot), or when TILDE_UNBUNDLED=1 asks for it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `tilde check m.tilde | head`: a reader that closes the pipe early ends the output, not in a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const require = createRequire(import.meta.url);
const bundle = fileURLToPath(new URL('../dist/cli/cli.js', import.meta.url));

function resolves(name) {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

const bundled = existsSync(bundle) && process.env.TILDE_UNBUNDLED !== '1' && resolves('@tensorflow/tfjs-node') === undefined;
let main;
if (bundled) {
  const cli = await import(bundle);
  const wasm = resolves('@tensorflow/tfjs-backend-wasm');
  if (wasm !== undefined) cli.configureWasmPaths(join(dirname(wasm), '/'));
  main = cli.main;
} else {
  ({ main } = await import('../dist/repl/cli.js'));
}

process.exitCode = await main(process.argv);
