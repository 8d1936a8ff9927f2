// Loads the bundled program (scripts/bundle-cli.mjs) for bin/tilde.js and bench/peers.
//
// Commands that fit or check a model run dist/cli/batch.cjs: one CommonJS file
// compiled with V8's code cache, which `npm run build` records after a warm-up
// run (dist/cli/batch.cache). Node 20 has no code cache for ES modules, and
// compiling the bundle's 2 MB was the largest part of a short fit's wall time.
// A cache that does not match this Node's V8 is rejected by V8 itself, and the
// file is then compiled as usual. The REPL and `serve` run the ES module bundle
// (dist/cli/cli.js): Ink loads with top-level await, which CommonJS cannot hold.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const dist = fileURLToPath(new URL('../dist/cli/', import.meta.url));
export const esmBundle = join(dist, 'cli.js');
export const batchBundle = join(dist, 'batch.cjs');
export const batchCache = join(dist, 'batch.cache');

function resolves(name) {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

/** Whether a bundle can run here: built, not refused, and no tfjs-node (which must share tilde's tfjs-core). */
export function bundleUsable() {
  return existsSync(esmBundle) && process.env.TILDE_UNBUNDLED !== '1' && resolves('@tensorflow/tfjs-node') === undefined;
}

function withWasmPaths(cli) {
  const wasm = resolves('@tensorflow/tfjs-backend-wasm');
  if (wasm !== undefined) cli.configureWasmPaths(join(dirname(wasm), '/'));
  return cli;
}

/** The ES module bundle: every command, the REPL included. */
export async function loadEsm() {
  return withWasmPaths(await import(esmBundle));
}

/**
 * The CommonJS bundle with its code cache; `saveCache()` records the functions compiled so far
 * (the build's warm-up calls it). Undefined when the batch bundle was not built.
 */
export function loadBatch() {
  if (!existsSync(batchBundle)) return undefined;
  const source = readFileSync(batchBundle, 'utf8');
  const cachedData = existsSync(batchCache) ? readFileSync(batchCache) : undefined;
  // The file holds no import(): the build turns each into require() (scripts/bundle-cli.mjs).
  const script = new vm.Script(Module.wrap(source), { filename: batchBundle, cachedData });
  const module = { exports: {} };
  const bundleRequire = createRequire(batchBundle);
  script.runInThisContext().call(module.exports, module.exports, bundleRequire, module, batchBundle, dist);
  const cli = withWasmPaths(module.exports);
  return { ...cli, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true, saveCache: () => writeFileSync(batchCache, script.createCachedData()) };
}
