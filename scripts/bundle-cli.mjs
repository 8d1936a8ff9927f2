// Bundles the command-line program into dist/cli/ with esbuild. Node spends most of
// tilde's start-up resolving and lexing hundreds of small modules (chevrotain's
// lodash-es, tfjs's CommonJS files scanned for named exports); one bundled program
// starts in a fraction of that. bin/tilde.js runs the bundle when it is present
// and falls back to dist/repl/cli.js (see there for when).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
rmSync(outdir, { recursive: true, force: true });

// The tfjs umbrella (imported for the gradients it registers) also loads its layers, converter and
// data packages and the webgl backend, and tfjs-core carries node-fetch (with whatwg-url's tables)
// for loading models over HTTP. tilde uses none of them, and Node has no WebGL: in the command's
// bundle they are empty modules, which halves the code Node compiles at start-up.
const UNUSED_TFJS = /^(@tensorflow\/tfjs-(layers|converter|data|backend-webgl)|node-fetch)$/;
const withoutUnusedTfjs = {
  name: 'without-unused-tfjs',
  setup(b) {
    b.onResolve({ filter: UNUSED_TFJS }, (args) => ({ path: args.path, namespace: 'unused-tfjs' }));
    b.onLoad({ filter: /.*/, namespace: 'unused-tfjs' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

await build({
  entryPoints: { cli: `${root}dist/repl/bundle-entry.js` },
  outdir,
  bundle: true,
  splitting: true, // keeps the REPL, `serve` and Ink's devtools as chunks loaded on demand
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // tfjs-node must share the tfjs-core instance it registers its backend in, so it
  // is never bundled (bin/tilde.js skips the bundle when it is installed);
  // react-devtools-core is Ink's optional development aid.
  external: ['@tensorflow/tfjs-node', 'react-devtools-core'],
  // CommonJS dependencies inside an ES module bundle still call require() for
  // Node's built-ins, and the wasm backend reads __dirname.
  banner: {
    js: [
      "import { createRequire as __tildeRequire } from 'node:module';",
      "import { fileURLToPath as __tildePath } from 'node:url';",
      'const require = __tildeRequire(import.meta.url);',
      'const __filename = __tildePath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join('\n'),
  },
  plugins: [withoutUnusedTfjs],
  logLevel: 'warning',
});

// The batch commands (fit, check, grad) as one CommonJS file, which Node can compile from
// V8's code cache (bin/load-bundle.js). Ink and React are left out: only the REPL and
// `serve` use them, and those run the bundle above.
await build({
  entryPoints: [`${root}dist/repl/bundle-entry.js`],
  outfile: `${outdir}/batch.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'react-devtools-core', 'ink', 'react', 'react/*', 'yoga-layout'],
  define: { 'import.meta.url': '__tildeUrl' },
  // import() becomes require(): code compiled by vm.Script (bin/load-bundle.js) has no import()
  // callback Node 20 supports without a flag, and what the batch commands load this way (Node's
  // built-ins; tfjs-node, absent whenever this file runs) is CommonJS or built in.
  supported: { 'dynamic-import': false },
  // Minified: with the compiled code cached, reading and decoding the source is what is left
  // to cost, and it halves (a fit of normal_normal: 0.34 s against 0.38, medians of 11).
  // Stacks name minified functions; TILDE_UNBUNDLED=1 runs the readable module tree.
  minify: true,
  banner: { js: "const __tildeUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [withoutUnusedTfjs],
  logLevel: 'warning',
});

// The code cache holds the functions V8 compiled during a warm-up: a fit of the bundled
// example and a check, the commands a short run spends its start-up on.
const warm = spawnSync(process.execPath, [`${root}scripts/warm-cache.mjs`], { cwd: root, encoding: 'utf8' });
if (warm.status !== 0) throw new Error(`the code cache's warm-up failed:\n${warm.stderr}`);
