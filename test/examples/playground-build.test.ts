// The playground build without a browser: the page's TypeScript type-checks (DOM and worker
// code, outside the main tsconfig), the build refuses engine modules that reach Node built-ins,
// and `tilde serve` explains what to do when nothing is built.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { main } from '../../repl/cli.js';
// @ts-expect-error: a plain-JavaScript build script (examples/browser/build.mjs) without type declarations
import { bundledModels, noNodeBuiltinsInEngine } from '../../examples/browser/build.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('playground build', () => {
  it('the page and worker sources type-check (examples/browser/tsconfig.json)', async () => {
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const r = await run(tsc, ['-p', join(ROOT, 'examples', 'browser', 'tsconfig.json')], { cwd: ROOT }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  }, 60_000);

  it('fails when an engine module imports a Node built-in, naming it', async () => {
    const dir = join(ROOT, 'test-output', 'planted-leak');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'inference'), { recursive: true });
    writeFileSync(join(dir, 'entry.ts'), "export { load } from './inference/io.js';\n");
    writeFileSync(join(dir, 'inference', 'io.ts'), "import { readFileSync } from 'node:fs';\nexport const load = (f: string) => readFileSync(f, 'utf8');\n");
    const build = esbuild.build({ entryPoints: [join(dir, 'entry.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', plugins: [noNodeBuiltinsInEngine] });
    await expect(build).rejects.toThrow("test-output/planted-leak/inference/io.ts imports the Node built-in 'node:fs'");
    rmSync(dir, { recursive: true, force: true });
  });

  it('bundles every model with its data', () => {
    const models = bundledModels() as { name: string; source: string; data: string }[];
    expect(models.map((m) => m.name)).toContain('eight_schools');
    for (const m of models) expect(() => JSON.parse(m.data), m.name).not.toThrow();
  });

  it('tilde serve says how to build the playground when it is missing', async () => {
    let out = '';
    let err = '';
    const code = await main(['node', 'tilde', 'serve', '--dir', join(ROOT, 'test-output', 'no-such-playground')], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('build it with: npm run playground');
  });
});
