#!/usr/bin/env node
// Builds the playground into one static folder (default dist/playground/):
//   index.html, style.css, main.js (the page), worker.js (the engine, in a Web Worker),
//   wasm/*.wasm (tfjs-backend-wasm's binaries, loaded by the worker from an explicit path).
// The bundled models (models/*.tilde and their JSON data) are inlined into main.js.
// Fails when a module under language/ or inference/ reaches a Node built-in.
//
//   npm run playground            build, print the sizes
//   npx tilde serve               serve it on 127.0.0.1 and print the URL

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const DEFAULT_OUTDIR = join(ROOT, 'dist', 'playground');
const BUILTINS = new Set(builtinModules);

/** The bundled models in a stable order: { name, source, data } with data as JSON text. */
export function bundledModels() {
  const dir = join(ROOT, 'models');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tilde'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.tilde$/, '');
      const json = join(dir, `${name}.json`);
      return { name, source: readFileSync(join(dir, f), 'utf8'), data: existsSync(json) ? readFileSync(json, 'utf8') : '{}' };
    });
}

/** An esbuild plugin that fails the build when one of our engine modules imports a Node built-in. */
export const noNodeBuiltinsInEngine = {
  name: 'no-node-builtins-in-engine',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const spec = args.path;
      const builtin = spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]);
      if (!builtin || !args.importer) return undefined;
      const importer = relative(ROOT, args.importer).split(sep).join('/');
      if (importer.startsWith('node_modules/')) return undefined; // a dependency's `browser` field decides
      return { errors: [{ text: `${importer} imports the Node built-in '${spec}': the engine must run in a browser (language/ and inference/ may not reach Node-only modules)` }] };
    });
  },
};

/**
 * Build the playground. Returns the files written with their raw and gzip sizes.
 * @param {{ outdir?: string, minify?: boolean, logLevel?: esbuild.LogLevel }} [options]
 */
export async function buildPlayground(options = {}) {
  const outdir = options.outdir ?? DEFAULT_OUTDIR;
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'wasm'), { recursive: true });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: options.logLevel ?? 'warning',
    external: ['@tensorflow/tfjs-node'],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [noNodeBuiltinsInEngine],
    metafile: true,
  };
  const page = await esbuild.build({
    ...common,
    entryPoints: { main: join(HERE, 'main.ts') },
    outdir,
    define: { ...common.define, __TILDE_MODELS__: JSON.stringify(bundledModels()) },
  });
  const worker = await esbuild.build({ ...common, entryPoints: { worker: join(HERE, 'worker.ts') }, outdir });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(HERE, f), join(outdir, f));
  const wasmDir = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(outdir, 'wasm', f));

  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        files.push({ file: relative(outdir, p).split(sep).join('/'), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
      }
    }
  };
  walk(outdir);
  files.sort((a, b) => a.file.localeCompare(b.file));
  const inputs = [...Object.keys(page.metafile.inputs), ...Object.keys(worker.metafile.inputs)];
  return { outdir, files, inputs };
}

/** The page's own code as loaded before a fit can start: html, css, main.js, worker.js (wasm counted apart). */
export function sizeReport(files) {
  const pick = (pred) => files.filter(pred).reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzip }), { bytes: 0, gzip: 0 });
  return {
    code: pick((f) => !f.file.endsWith('.wasm')),
    wasmSimd: pick((f) => f.file === 'wasm/tfjs-backend-wasm-simd.wasm'),
  };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outdir = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUTDIR;
  const t0 = performance.now();
  const { files } = await buildPlayground({ outdir });
  for (const f of files) console.log(`${f.file.padEnd(40)} ${kb(f.bytes).padStart(11)}  gzip ${kb(f.gzip).padStart(10)}`);
  const s = sizeReport(files);
  console.log(`\npage code (html + css + main.js + worker.js): ${kb(s.code.bytes)}, gzip ${kb(s.code.gzip)}; plus the simd wasm binary, gzip ${kb(s.wasmSimd.gzip)}`);
  console.log(`built ${relative(process.cwd(), outdir) || '.'} in ${((performance.now() - t0) / 1000).toFixed(1)} s; serve it with: npx tilde serve  (or npm run serve)`);
}
