// End to end: the built `tilde repl` in a pseudo-terminal (driven by
// pty-driver.py), and with a script piped through stdin. Runs dist/ — `npm test`
// builds first; run alone, the suite builds when dist is missing or older than repl/.

import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'tilde.js');
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function newest(dir: string): number {
  return Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

beforeAll(() => {
  const built = join(root, 'dist', 'repl', 'start.js');
  const stale = !existsSync(built) || statSync(built).mtimeMs < Math.max(newest(join(root, 'repl')), newest(join(root, 'repl', 'session')), newest(join(root, 'repl', 'components')));
  if (!stale) return;
  try {
    execSync('npx tsc -p tsconfig.json', { cwd: root, stdio: 'ignore' });
  } catch {
    // tsc exits non-zero when any file of the project has a type error, but still emits.
  }
}, 120_000);

interface Step {
  send?: string;
  expect?: string;
  timeout?: number;
  pause?: number;
  /** Match only output that arrives after this step's keys. */
  fresh?: boolean;
}

function drive(argv: string[], steps: Step[], env: Record<string, string>) {
  const r = spawnSync('python3', [join(import.meta.dirname, 'pty-driver.py')], {
    input: JSON.stringify({ cwd: root, argv, env, steps, exitTimeout: 15 }),
    encoding: 'utf8',
    timeout: 170_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; failed?: Step; exitCode: number | null; transcript: string; raw: string };
}

describe('tilde repl in a terminal', () => {
  test('eight schools: load, fit, query, histogram, a typo, Ctrl-C during a fit, quit', () => {
    const home = mkdtempSync(join(tmpdir(), 'tilde-e2e-'));
    const r = drive(
      [process.execPath, bin, 'repl', 'models/eight_schools.tilde'],
      [
        { expect: 'tilde> ', timeout: 30 },
        { send: ':set steps=300\r', expect: 'steps=300\\n' },
        { send: ':fit\r', expect: 'ELBO -?[\\d.]+ +k-hat .*300 steps', timeout: 90 },
        { send: 'P(mu > 0)\r', expect: 'P\\(mu > 0\\) = 0\\.\\d+ ± [\\d.]+' },
        { send: ':hist tau\r', expect: 'tau  \\(1000 draws\\)(\\n.*│.*%){10}' },
        { send: ':fti\r', expect: "unknown command ':fti' \\(did you mean ':fit'\\?\\)\\n  :fti\\n  \\^\\^\\^\\^" },
        // The compiled step converges in well under a second at 8 particles: 2,000 keep the fit running when Ctrl-C arrives.
        { send: ':set steps=100000 particles=2000\r', expect: 'steps=100000 particles=2000\\n' },
        { send: ':fit\r', expect: 'step \\d+/100000 .*steps/s', timeout: 60, fresh: true },
        { send: '\x03', expect: 'fit stopped at step \\d+ \\(Ctrl-C\\): keeping the result so far', timeout: 60 },
        { send: 'E(tau)\r', expect: 'E\\(tau\\) = [\\d.]+ ±', timeout: 30 },
        { send: ':quit\r' },
      ],
      { HOME: home, TILDE_HISTORY: join(home, 'history'), TERM: 'xterm-256color', FORCE_COLOR: '1' },
    );
    if (!r.ok) throw new Error(`stuck waiting for /${r.failed?.expect}/; transcript:\n${r.transcript}`);
    const t = r.transcript;
    expect(t).toContain('tilde 0.1.0');
    expect(t).toContain('loaded models/eight_schools.tilde (8 statements, inference mode)');
    expect(t).toMatch(/tau\s+\d/);
    expect(t).toMatch(/theta\[7\]\s+-?\d/);
    expect(r.raw).toMatch(/\x1b\[3\dm/); // coloured on a terminal
    expect(r.exitCode).toBe(0);
    // The history file now holds the session's lines.
    expect(readFileSync(join(home, 'history'), 'utf8')).toContain(':hist tau\n:fti\n');
  }, 180_000);

  test('NO_COLOR turns colour off', () => {
    const home = mkdtempSync(join(tmpdir(), 'tilde-e2e-'));
    const r = drive([process.execPath, bin, 'repl'], [{ expect: 'tilde> ', timeout: 30 }, { send: ':fti\r', expect: 'unknown command' }, { send: ':quit\r' }], { HOME: home, TERM: 'xterm-256color', NO_COLOR: '1' });
    expect(r.ok).toBe(true);
    expect(r.raw).not.toMatch(/\x1b\[3\dm/);
    expect(r.exitCode).toBe(0);
  }, 60_000);
});

describe('tilde repl < script.txt', () => {
  test('reads commands line by line and prints plain results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilde-script-'));
    writeFileSync(join(dir, 'y.json'), '{ "y": [1, 2, 3] }');
    writeFileSync(
      join(dir, 'script.txt'),
      [
        '# a model typed line by line',
        'data y: real[3]',
        'mu ~ Normal(0, 1)',
        'y ~ Normal(mu,',
        '           1)',
        ':data y.json',
        ':set steps=200 backend=cpu',
        ':fit',
        'P(mu > 0)',
        'quantile(mu, 0.5)',
        ':hist mu',
        'mux',
        ':model',
      ].join('\n') + '\n',
    );
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(bin)} repl < script.txt`], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '1' } });
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stdout).toContain('data: y.json (y)');
    expect(r.stdout).toMatch(/name\s+mean\s+sd\s+5%\s+50%\s+95%\nmu\s+1\.\d+/);
    expect(r.stdout).toMatch(/ELBO -?[\d.]+ +k-hat .* 200 steps/);
    expect(r.stdout).toMatch(/P\(mu > 0\) = (0\.9\d*|1\.000) ± [\d.]+/);
    expect(r.stdout).toMatch(/quantile\(mu, 0\.5\) = 1\.\d+/);
    expect(r.stdout).toMatch(/mu {2}\(1000 draws\)\n.*│/);
    expect(r.stdout).toContain('y ~ Normal(mu, 1)');
    // Errors go to stderr with their caret, and the script goes on after them.
    expect(r.stderr).toContain("<repl>:1:1: unknown name 'mux' (did you mean 'mu'?)\n  mux\n  ^^^");
    expect(r.stdout.indexOf('y ~ Normal(mu, 1)')).toBeGreaterThan(r.stdout.indexOf('(1000 draws)'));
    expect(r.status).toBe(1);
  }, 120_000);

  test('an unclosed block at the end of the script is reported', () => {
    const open = spawnSync(process.execPath, [bin, 'repl'], { input: 'mu ~ Normal(0, 1)\nfor i in 0..3 {\n', encoding: 'utf8', timeout: 60_000 });
    expect(open.stdout).toBe('the model is unchanged\n');
    expect(open.stderr).toContain('is never closed');
    expect(open.status).toBe(1);
  }, 60_000);

  test('a model and data on the command line; a clean script exits 0', () => {
    const r = spawnSync(process.execPath, [bin, 'repl', 'models/coin.tilde'], { cwd: root, input: ':model\n', encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('loaded models/coin.tilde');
    expect(r.stdout).toContain('data: models/coin.json');
    expect(r.status).toBe(0);
    const missing = spawnSync(process.execPath, [bin, 'repl', 'nope.tilde'], { cwd: root, input: '', encoding: 'utf8', timeout: 60_000 });
    expect(missing.stderr).toContain('nope.tilde: model file not found');
    expect(missing.status).toBe(1);
  }, 60_000);
});
