// `tilde fit --batch B` and the full-data `elbo_per_datum` in --json (issue 6).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../repl/cli.js';

const root = join(import.meta.dirname, '..', '..');
const model = join(root, 'models', 'linear_regression.tilde');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'tilde', ...args], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('tilde fit --batch', () => {
  it('fits on minibatches and reports the full-data ELBO per datum', async () => {
    const r = await run('fit', model, '--batch', '10', '--steps', '600', '--seed', '2', '--draws', '200', '--backend', 'cpu', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { elbo: number; full_elbo: number; elbo_per_datum: number; batch_size: number; summary: Record<string, { mean: number }> };
    expect(j.batch_size).toBe(10);
    // linear_regression.json has N = 50 points.
    expect(j.elbo_per_datum).toBeCloseTo(j.full_elbo / 50, 6);
    expect(Number.isFinite(j.elbo_per_datum)).toBe(true);
    // The slope is well identified (posterior sd 0.068): 600 minibatch steps land near 2.01.
    expect(Math.abs(j.summary['beta']!.mean - 2.012)).toBeLessThan(0.3);
  }, 120_000);

  it('adds elbo_per_datum without --batch too, for any model with a plate', async () => {
    const r = await run('fit', model, '--steps', '300', '--seed', '2', '--draws', '100', '--backend', 'cpu', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(typeof j['elbo_per_datum']).toBe('number');
    expect(j['batch_size']).toBeUndefined();
  }, 120_000);

  it('omits it for a model without a plate', async () => {
    const r = await run('fit', join(root, 'models', 'coin.tilde'), '--steps', '200', '--draws', '50', '--backend', 'cpu', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)['elbo_per_datum']).toBeUndefined();
  }, 120_000);

  it('a batch larger than the plate is a usage error naming the plate (exit 2)', async () => {
    const r = await run('fit', model, '--batch', '51', '--steps', '10', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/batchSize is 51, larger than plate 'N' \(.*linear_regression\.tilde:14:7\), which has 50 entries/);
  }, 60_000);
});
