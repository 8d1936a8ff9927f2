// Bundles the command-line program into dist/cli/ with esbuild. Node spends most of
// tilde's start-up resolving and lexing hundreds of small modules (chevrotain's
// lodash-es, tfjs's CommonJS files scanned for named exports); one bundled program
// starts in a fraction of that. bin/tilde.js runs the bundle when it is present
// and falls back to dist/repl/cli.js (see there for when).
import { build } from 'esbuild';
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
