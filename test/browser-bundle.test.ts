// The package root must bundle for the browser (DESIGN.md: nothing in language/ or inference/
// touches the file system, the terminal or Node-only modules). This bundles index.ts with esbuild
// for `platform: 'browser'` and fails, naming the file and the import chain from index.ts, when a
// module of the project reaches a Node built-in, or when the bundle pulls in anything from repl/.
//
// Dependencies' own Node-only branches are left to esbuild: packages map them away with their
// `browser` field (tfjs-data's `fs`, seedrandom's `crypto`, the wasm backend's `fs`/`path`), and a
// dependency that really needs a built-in makes esbuild's build fail, which fails this test too.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILTINS = new Set(builtinModules);

function isBuiltin(spec: string): boolean {
  if (spec.startsWith('node:')) return true;
  return BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!);
}

interface BuiltinImport {
  /** The built-in as written (`node:fs`, `path`). */
  spec: string;
  /** The importing file, relative to the bundled root, with `/` separators. */
  importer: string;
}

interface BundleReport {
  builtins: BuiltinImport[];
  /** Every bundled input, relative to the root (dependencies start with `node_modules/`). */
  inputs: string[];
  /** Import edges between inputs, for naming a chain from the entry point. */
  imports: Map<string, string[]>;
  bytes: number;
}

const rel = (root: string, file: string) => relative(root, file).split(sep).join('/');

/** Bundle `root/index.ts` for the browser, recording every Node built-in a project file imports. */
async function bundle(root: string): Promise<BundleReport> {
  const builtins: BuiltinImport[] = [];
  const recorder: esbuild.Plugin = {
    name: 'record-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        const importer = rel(root, args.importer);
        if (importer.startsWith('node_modules/') || importer.startsWith('../')) return undefined; // esbuild and the package's `browser` field decide
        builtins.push({ spec: args.path, importer });
        return { path: args.path, external: true }; // keep going, so that every offender is reported at once
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [join(root, 'index.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // An optional dependency loaded by a dynamic import only when present (inference/backend.ts).
    external: ['@tensorflow/tfjs-node'],
    plugins: [recorder],
  });
  const imports = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    imports.set(file, input.imports.filter((i) => !i.external).map((i) => i.path));
  }
  return {
    builtins,
    inputs: Object.keys(result.metafile.inputs),
    imports,
    bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0),
  };
}

/** The shortest import chain from index.ts to `target` ("index.ts → inference/model.ts → …"). */
function chainTo(report: BundleReport, target: string): string {
  const prev = new Map<string, string | null>([['index.ts', null]]);
  const queue = ['index.ts'];
  while (queue.length) {
    const f = queue.shift()!;
    if (f === target) break;
    for (const next of report.imports.get(f) ?? []) {
      if (prev.has(next)) continue;
      prev.set(next, f);
      queue.push(next);
    }
  }
  if (!prev.has(target)) return target;
  const chain: string[] = [];
  for (let f: string | null = target; f !== null; f = prev.get(f) ?? null) chain.unshift(f);
  return chain.join(' → ');
}

function describeOffenders(report: BundleReport, offenders: BuiltinImport[]): string {
  return offenders.map((b) => `${b.importer} imports the Node built-in '${b.spec}' (reached by ${chainTo(report, b.importer)})`).join('\n');
}

const inEngine = (file: string) => file.startsWith('language/') || file.startsWith('inference/');

describe('browser bundle of the package root', () => {
  it('reaches no Node built-in from language/ or inference/ and bundles no repl/ module', async () => {
    const report = await bundle(ROOT);

    const engine = report.builtins.filter((b) => inEngine(b.importer));
    expect(engine, `Node built-ins reached from the engine (must run in a browser):\n${describeOffenders(report, engine)}`).toEqual([]);

    // Anything else of ours (index.ts itself, a helper folder) is just as unbundleable.
    const other = report.builtins.filter((b) => !inEngine(b.importer));
    expect(other, `Node built-ins reached from the package root:\n${describeOffenders(report, other)}`).toEqual([]);

    const repl = report.inputs.filter((f) => f.startsWith('repl/'));
    expect(repl, `repl/ modules in the browser bundle:\n${repl.map((f) => chainTo(report, f)).join('\n')}`).toEqual([]);

    // A sanity check that the bundle really holds the engine (and so the checks above saw it).
    expect(report.inputs).toContain('inference/model.ts');
    expect(report.inputs).toContain('language/parse.ts');
    expect(report.bytes).toBeGreaterThan(100_000);
  });

  it('the check itself names an offending file and its import chain (a planted leak)', async () => {
    // A throwaway package root whose engine module reads a file: the recorder must catch it.
    const dir = mkdtempSync(join(tmpdir(), 'tilde-bundle-'));
    try {
      mkdirSync(join(dir, 'inference'));
      mkdirSync(join(dir, 'repl'));
      writeFileSync(join(dir, 'index.ts'), "export { load } from './inference/io.js';\nexport { x } from './repl/x.js';\n");
      writeFileSync(join(dir, 'inference', 'io.ts'), "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nexport const load = (f: string) => readFileSync(join('.', f), 'utf8');\n");
      writeFileSync(join(dir, 'repl', 'x.ts'), 'export const x = 1;\n');
      const report = await bundle(dir);
      const engine = report.builtins.filter((b) => inEngine(b.importer));
      expect(engine.map((b) => `${b.importer}:${b.spec}`).sort()).toEqual(['inference/io.ts:node:fs', 'inference/io.ts:path']);
      expect(describeOffenders(report, engine)).toContain("inference/io.ts imports the Node built-in 'node:fs' (reached by index.ts → inference/io.ts)");
      expect(report.inputs).toContain('repl/x.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
