// models/bandit.tilde — a continuous-armed bandit whose reward is a step in the action (paid 1
// when x ~ Normal(mu, exp(log_s)) lands in [1, 1.5]) — under LAX (the plan's choice) and
// REINFORCE (per-site option), same seeds. Prints:
//  1. the expected reward Φ((1.5 − mu)/s) − Φ((1 − mu)/s) of the policy after N steps (closed
//     form at the fitted mu, log_s), median and range over seeds;
//  2. the natural-log variance of single-sample gradient estimates at the initial policy
//     (mu = 0, s = 1), LAX after 0 and 300 surrogate-only steps, and the exact gradient.
//
// Run after the build: node dist/bench/bandit.js [--seeds K] [--checkpoints 10,25,50,100] [--draws M]

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { compile, type FitOptions } from '../index.js';
import { estimateGradients } from '../inference/gradients.js';

const here = (f: string) => new URL(`../../models/${f}`, import.meta.url).pathname;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const Phi = (v: number) => 0.5 * (1 + erf(v / Math.SQRT2));
const phi = (v: number) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
/** Abramowitz–Stegun 7.1.26 is 1e-7 accurate: enough for a reward printed to three places. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const reward = (mu: number, s: number) => Phi((1.5 - mu) / s) - Phi((1 - mu) / s);

const median = (xs: number[]) => {
  const a = [...xs].sort((p, q) => p - q);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
};

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '5'));
  const checkpoints = arg('checkpoints', '10,25,50,100,200').split(',').map(Number);
  const draws = Number(arg('draws', '4000'));
  const source = readFileSync(here('bandit.tilde'), 'utf8');
  const model = compile(source, { file: 'bandit.tilde' });
  console.log(`bandit: reward 1[1 < x < 1.5], x ~ Normal(mu, exp(log_s)), start mu = 0, s = 1; 1 particle, Adam lr 0.05, compiled step; ${seeds} seeds; ${cpus()[0]?.model ?? '?'}`);
  const variants: { label: string; estimator?: FitOptions['estimator'] }[] = [
    { label: 'LAX (plan)' },
    { label: 'REINFORCE', estimator: { x: 'reinforce' } },
  ];
  console.log('\nexpected reward after N steps (median [min, max] over seeds)\n');
  console.log(`| estimator | ${checkpoints.map((n) => `${n} steps`).join(' | ')} |`);
  console.log(`|---|${checkpoints.map(() => '---:').join('|')}|`);
  for (const v of variants) {
    const cells: string[] = [];
    for (const steps of checkpoints) {
      const rs: number[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const fit = await model.fit({ steps, particles: 1, seed, tolRelObj: 0, backend: 'js', ...(v.estimator ? { estimator: v.estimator } : {}) });
        const s = fit.summary();
        rs.push(reward(s['mu']!.mean, Math.exp(s['log_s']!.mean)));
      }
      cells.push(`${median(rs).toFixed(3)} [${Math.min(...rs).toFixed(3)}, ${Math.max(...rs).toFixed(3)}]`);
    }
    console.log(`| ${v.label} | ${cells.join(' | ')} |`);
  }
  // The gradient of the expected COST (−reward) at mu = 0, s = 1, as `tilde grad` reports it.
  const exact = { mu: -(phi(1) - phi(1.5)), log_s: -(phi(1) * 1 - phi(1.5) * 1.5) };
  console.log(`\nsingle-sample gradient estimates at mu = 0, s = 1 (${draws} draws; exact: mu ${exact.mu.toFixed(4)}, log_s ${exact.log_s.toFixed(4)})\n`);
  console.log('| estimator | mean (mu) | mean (log_s) | log var (mu) | log var (log_s) |');
  console.log('|---|---:|---:|---:|---:|');
  const rows: { label: string; estimator?: FitOptions['estimator']; surrogateSteps?: number }[] = [
    { label: 'REINFORCE (moving-average baseline)', estimator: { x: 'reinforce' } },
    { label: 'LAX, untrained c_φ' },
    { label: 'LAX, c_φ after 300 surrogate steps', surrogateSteps: 300 },
  ];
  for (const r of rows) {
    const g = await estimateGradients(model, { draws, particles: 1, seed: 1, backend: 'js', ...(r.estimator ? { estimator: r.estimator } : {}), ...(r.surrogateSteps ? { surrogateSteps: r.surrogateSteps } : {}) });
    const mu = g.params['mu']!;
    const ls = g.params['log_s']!;
    console.log(`| ${r.label} | ${mu.mean[0]!.toFixed(4)} | ${ls.mean[0]!.toFixed(4)} | ${Math.log(mu.variance[0]!).toFixed(2)} | ${Math.log(ls.variance[0]!).toFixed(2)} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
