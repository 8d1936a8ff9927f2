// The `tilde` commands as a user meets them: exit codes, where errors point, the
// --json shape of `tilde fit`, and the installed command (bin/tilde.js, which runs
// the esbuild bundle of dist/cli/) giving the same numbers as the program it is
// built from.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../repl/cli.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'tilde.js');
const bundle = join(root, 'dist', 'cli', 'cli.js');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'tilde', ...args], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

function withoutTiming(json: string): Record<string, unknown> {
  const r = JSON.parse(json) as Record<string, unknown>;
  delete r.seconds;
  return r;
}

describe('tilde check', () => {
  it('accepts a bundled model and prints its estimator plan (exit 0)', async () => {
    const r = await run('check', join(root, 'models', 'coin.tilde'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok \(inference mode\)/);
    expect(r.out).toMatch(/p: reparam — Beta/);
  });

  it('lists the user functions of a model with their signatures', async () => {
    const r = await run('check', join(root, 'models', 'dose_response.tilde'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('functions: hill(dose: real[K], ec50: positive, h: positive): real[K]');
  });

  it('names the line in a function and its call for an error found there (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilde-cli-'));
    const file = join(dir, 'spread.tilde');
    writeFileSync(file, 'fun spread(x: real): real { return x - 2 }\ndata y: real\ny ~ Normal(0, spread(1))\n');
    const r = await run('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:1:36: scale of Normal must be positive, got -1`);
    expect(r.err).toContain("in function 'spread' called at line 3:15");
  });

  it('shows an ordered latent as ordered, and its guide through the ordered transform', async () => {
    const r = await run('check', join(root, 'models', 'ordinal_regression.tilde'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('c: real[C] ~ Normal (ordered)');
    expect(r.out).toMatch(/c: reparam — Normal; automatic Normal guide in unconstrained space \(ADVI\) through the ordered transform/);
  });

  it('names file:line:col and the unknown name (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilde-cli-'));
    const file = join(dir, 'bad.tilde');
    writeFileSync(file, 'data y: real\nmu ~ Normal(0, sigma)\ny ~ Normal(mu, 1)\n');
    const r = await run('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:2:16: unknown name 'sigma'`);
  });

  it('says which file is missing (exit 1)', async () => {
    const r = await run('check', join(root, 'models', 'no-such-model.tilde'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no-such-model\.tilde: model file not found/);
  });

  it('rejects an unknown option as a usage error (exit 2)', async () => {
    const r = await run('check', '--no-such-flag', join(root, 'models', 'coin.tilde'));
    expect(r.code).toBe(2);
  });
});

describe('tilde fit', () => {
  it('--json carries every latent with ArviZ-style columns, the ELBO, k-hat, backend and steps', async () => {
    const r = await run('fit', join(root, 'models', 'eight_schools.tilde'), '--json', '--steps', '300', '--backend', 'cpu', '--seed', '2');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { summary: Record<string, Record<string, number>>; elbo: number; khat: number; backend: string; steps: number; init: string; seconds: number };
    expect(Object.keys(j.summary)).toEqual(expect.arrayContaining(['mu', 'tau', 'theta_raw[0]', 'theta_raw[7]', 'theta[0]', 'theta[7]']));
    for (const row of Object.values(j.summary)) {
      expect(Object.keys(row).sort()).toEqual(['mean', 'q5', 'q50', 'q95', 'sd']);
      expect(row.q5!).toBeLessThanOrEqual(row.q50!);
      expect(row.q50!).toBeLessThanOrEqual(row.q95!);
    }
    expect(Number.isFinite(j.elbo)).toBe(true);
    expect(Number.isFinite(j.khat)).toBe(true);
    expect(j.backend).toBe('cpu');
    expect(j.init).toBe('laplace'); // every latent continuous: the default start is the posterior mode
    expect(j.steps).toBeGreaterThan(0);
    expect(j.steps).toBeLessThanOrEqual(300);
  });

  it('--init random keeps the random start and says so; the text output names a Laplace start', async () => {
    const file = join(root, 'models', 'normal_normal.tilde');
    const random = await run('fit', file, '--json', '--steps', '100', '--backend', 'cpu', '--init', 'random');
    expect(random.code).toBe(0);
    expect((JSON.parse(random.out) as { init: string }).init).toBe('random');
    const text = await run('fit', file, '--steps', '100', '--backend', 'cpu');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/\d+ steps \([^)]*\), Laplace start {3}backend cpu/);
  });

  it('a mixture starts at the mode with its assignments summed out, and the text output says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilde-cli-'));
    const file = join(dir, 'mix.tilde');
    writeFileSync(file, 'plate N\ndata x: real[N]\nmu ~ Normal(0, 5)\nz: int[N] ~ Bernoulli(0.5)\nx ~ Normal(mu + 3 * z, 1)\n');
    const data = join(dir, 'mix.json');
    writeFileSync(data, JSON.stringify({ x: [-0.2, 0.4, 3.1, 2.7, 0.1, 3.3] }));
    const text = await run('fit', file, '--data', data, '--steps', '100', '--backend', 'cpu');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/\d+ steps \([^)]*\), Laplace start \(z summed out\) {3}backend cpu/);
  });

  it('an unknown backend is a usage error naming the choices (exit 2)', async () => {
    const r = await run('fit', join(root, 'models', 'coin.tilde'), '--backend', 'gpu-please', '--steps', '10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/argument 'gpu-please' is invalid\. Allowed choices are auto, js, tensorflow, wasm, cpu, webgl/);
  });

  const tfjsNode = (() => {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(tfjsNode)('asking for the tensorflow backend without tfjs-node says what is available (exit 2)', async () => {
    const r = await run('fit', join(root, 'models', 'coin.tilde'), '--backend', 'tensorflow', '--steps', '10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: backend 'tensorflow' is not available here .*; available: wasm, cpu/);
    expect(r.err).not.toMatch(/internal error/);
  });
});

describe('the installed command (bundled program)', () => {
  beforeAll(() => {
    // `npm test` builds the bundle first; run alone, rebuild it when the compiled tree is newer.
    const newestBuild = Math.max(...['repl/cli.js', 'inference/model.js', 'index.js'].map((f) => statSync(join(root, 'dist', f)).mtimeMs));
    if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestBuild) execFileSync('node', [join(root, 'scripts', 'bundle-cli.mjs')], { cwd: root });
  }, 120_000);

  for (const backend of ['cpu', 'wasm']) {
    it(`gives the same fit as the unbundled program on ${backend}`, () => {
      const args = [bin, 'fit', join(root, 'models', 'coin.tilde'), '--json', '--steps', '200', '--seed', '5', '--backend', backend];
      const bundled = spawnSync('node', args, { cwd: root, encoding: 'utf8', env: { ...process.env, TILDE_UNBUNDLED: '' } });
      const plain = spawnSync('node', args, { cwd: root, encoding: 'utf8', env: { ...process.env, TILDE_UNBUNDLED: '1' } });
      expect(bundled.stderr).toBe('');
      expect(bundled.status).toBe(0);
      expect(plain.status).toBe(0);
      const b = withoutTiming(bundled.stdout);
      expect(b.backend).toBe(backend);
      expect(b).toEqual(withoutTiming(plain.stdout));
    }, 120_000);
  }

  it("runs fit from the batch bundle with V8's code cache accepted, and the REPL from the ES module bundle", () => {
    // A cache V8 rejects (another Node, other flags) still runs, only slower: this checks the build's is used.
    const probe = `import('${join(root, 'bin', 'load-bundle.js')}').then((m) => { const c = m.loadBatch(); console.log(JSON.stringify({ loaded: typeof c?.main, rejected: c?.cacheRejected })); })`;
    const r = spawnSync('node', ['-e', probe], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ loaded: 'function', rejected: false });
    // The REPL needs Ink, which the batch bundle leaves out.
    const repl = spawnSync('node', [bin, 'repl', join(root, 'models', 'coin.tilde')], { cwd: root, encoding: 'utf8', input: ':quit\n', env: { ...process.env, TILDE_UNBUNDLED: '' } });
    expect(repl.status).toBe(0);
    expect(repl.stdout).toMatch(/loaded .*coin\.tilde/);
  }, 60_000);

  it('runs the commands that load modules on demand from the batch bundle (no import() is left in it)', () => {
    // Code compiled through vm.Script has no import() callback on Node 20: the build turns each into require().
    const out = join(mkdtempSync(join(tmpdir(), 'tilde-mnist-')), 'm.json');
    const data = spawnSync('node', [bin, 'data', 'mnist', '--n', '20', '--out', out], { cwd: root, encoding: 'utf8', env: { ...process.env, TILDE_UNBUNDLED: '' } });
    expect(data.stderr).toBe('');
    expect(data.status).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { N: number }).N).toBe(20);
    const node = spawnSync('node', [bin, 'fit', join(root, 'models', 'coin.tilde'), '--backend', 'tensorflow'], { cwd: root, encoding: 'utf8', env: { ...process.env, TILDE_UNBUNDLED: '' } });
    expect(node.stderr).toMatch(/^error: backend 'tensorflow' is not available here \(Cannot find module '@tensorflow\/tfjs-node'/);
  }, 60_000);

  it('ends quietly when the reader closes the pipe early (`tilde check … | head`)', () => {
    // `true` exits before tilde has started, so every write of tilde's meets a closed pipe.
    const r = spawnSync('bash', ['-c', `set -o pipefail; node '${bin}' check '${join(root, 'models', 'gmm.tilde')}' | true`], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});

describe('tilde fit: a run-time error of the model', () => {
  it('is printed at its file, line and column, exit code 1, with no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilde-eval-'));
    const file = join(dir, 'oob.tilde');
    writeFileSync(file, 'data y: real[2] = [1, 2]\ndata i: int = 5\nm ~ Normal(0, 1)\nz = y[i]\ny ~ Normal(m + z, 1)\n');
    writeFileSync(join(dir, 'oob.json'), '{}');
    const r = await run('fit', file, '--steps', '5');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:4:7: index 5 is out of bounds for a dimension of size 2`);
    expect(r.err).not.toContain('internal error');
  });
});
