// The Ink app driven through a fake stdin, with a fake engine whose fit steps on
// a timer: the transcript, the live progress region, Ctrl-C, Tab, history.

import './force-colour.js';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import type { Fit, FitOptions } from '../../inference/model.js';
import { ColourApp } from '../../repl/app.js';
import { Session, banner } from '../../repl/session/session.js';
import type { Engine } from '../../repl/session/types.js';
import { fakeContext } from './helpers.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fit that takes 100 steps per 20 ms tick until it reaches its budget or is aborted. */
function fakeEngine(): Engine {
  return {
    defaults: { steps: 1000, particles: 8, seed: 1, lr: 0.05, draws: 100, guide: 'meanfield', backend: 'auto' },
    async fit(program, _warnings, o: FitOptions) {
      const max = o.steps ?? 1000;
      let step = 0;
      let stopped: 'max-steps' | 'aborted' = 'max-steps';
      while (step < max) {
        await sleep(20);
        step += 100;
        o.onProgress?.({ step, elbo: -10 + step / 1000, smoothedElbo: -10 + step / 1000, stepsPerSecond: 5000, phase: 'optimise', maxSteps: max });
        if (o.signal?.aborted) {
          stopped = 'aborted';
          break;
        }
      }
      const row = { mean: 1.5, sd: 0.5, q5: 0.7, q50: 1.5, q95: 2.3 };
      const fit = {
        model: { program, warnings: [] },
        diagnostics: { backend: 'cpu', steps: step, seconds: 0.1, converged: false, stopped, elbo: -9, khat: 0.3, khatReading: 'good', particles: 8, seed: 1, guide: 'meanfield', warnings: [] },
        summary: () => ({ mu: row }),
        posterior: { draws: new Map([['mu', { shape: [], values: new Float32Array(100) }]]) },
        elboTrace: [],
        query: () => ({ kind: 'probability', value: 0.99, se: 0.01, draws: 100 }),
      };
      return fit as unknown as Fit;
    },
    open: async () => {
      throw new Error('not in this test');
    },
  };
}

let app: ReturnType<typeof render> | undefined;
afterEach(() => app?.unmount());

function start(opts: { history?: string[]; colour?: boolean } = {}) {
  const fake = fakeContext({});
  const engine = fakeEngine();
  fake.ctx.engine = async () => engine;
  const session = new Session(fake.ctx);
  const remembered: string[] = [];
  let quit = false;
  app = render(
    <ColourApp
      colour={opts.colour ?? true}
      session={session}
      history={opts.history ?? []}
      remember={(l) => remembered.push(l)}
      initial={banner('0.1.0', 'cpu')}
      listDir={() => ['models/']}
      onQuit={() => (quit = true)}
    />,
  );
  const screen = () => (app!.frames.join('')).replace(ANSI, '');
  const last = () => (app!.lastFrame() ?? '').replace(ANSI, '');
  const type = async (s: string) => {
    app!.stdin.write(s);
    await sleep(30);
  };
  const until = async (pred: () => boolean, ms = 3000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; screen:\n${screen()}`);
      await sleep(10);
    }
  };
  return { session, screen, last, type, until, remembered, quit: () => quit };
}

describe('App', () => {
  test('banner, a statement, a command and its output in the transcript', async () => {
    const t = start();
    expect(t.screen()).toContain('tilde 0.1.0');
    expect(t.screen()).toContain('backend: cpu');
    await t.type('mu ~ Normal(0, 1)');
    await t.type('\r');
    await t.type(':model\r');
    await t.until(() => t.screen().includes('tilde> :model'));
    await t.until(() => /mu ~ Normal\(0, 1\)\n/.test(t.screen()));
    expect(t.remembered).toEqual(['mu ~ Normal(0, 1)', ':model']);
  });

  test('errors show their caret and the prompt comes back', async () => {
    const t = start();
    await t.type(':fti\r');
    await t.until(() => t.screen().includes("unknown command ':fti' (did you mean ':fit'?)"));
    expect(t.screen()).toContain('  :fti\n  ^^^^');
    expect(t.last()).toContain('tilde> ');
  });

  test('a multi-line block shows the continuation prompt; Ctrl-C drops it', async () => {
    const t = start();
    await t.type('for i in 0..3 {\r');
    await t.until(() => t.last().includes('...> '));
    await t.type('\x03');
    await t.until(() => t.screen().includes('(block dropped)'));
    expect(t.session.continuing).toBe(false);
    await t.type('\x03');
    await t.until(() => t.screen().includes('(:quit or Ctrl-D to leave)'));
  });

  test('Tab completes commands; Up recalls history', async () => {
    const t = start({ history: [':load models/coin.tilde'] });
    await t.type(':he');
    await t.type('\t');
    await t.until(() => t.last().includes('tilde> :help '));
    await t.type('\x15'); // Ctrl-U clears the line
    await t.type('\x1b[A');
    await t.until(() => t.last().includes('tilde> :load models/coin.tilde'));
  });

  test('a fit shows live progress; Ctrl-C stops it and keeps the result and the session', async () => {
    const t = start();
    await t.type('mu ~ Normal(0, 1)\r');
    await t.type(':set steps=100000\r');
    await t.type(':fit\r');
    await t.until(() => /step \d+\/100000/.test(t.last()));
    expect(t.last()).toContain('steps/s');
    expect(t.last()).toContain('Ctrl-C stops the fit');
    await t.type('\x03');
    await t.until(() => t.screen().includes('stopped by Ctrl-C'));
    expect(t.screen()).toContain('stopping the fit…');
    expect(t.screen()).toMatch(/fit stopped at step \d+ \(Ctrl-C\): keeping the result so far/);
    expect(t.screen()).toMatch(/mu\s+1\.500/);
    await t.type('P(mu > 0)\r');
    await t.until(() => t.screen().includes('P(mu > 0) = 0.990 ± 0.01'));
    expect(t.quit()).toBe(false);
  });

  test('lines typed during a fit wait their turn', async () => {
    const t = start();
    await t.type('mu ~ Normal(0, 1)\r');
    await t.type(':fit steps=300\r:summary\r');
    await t.until(() => t.screen().includes('tilde> :summary'));
    const s = t.screen();
    expect(s.indexOf('300 steps')).toBeLessThan(s.indexOf('tilde> :summary'));
  });

  test(':quit ends the session after its output; Ctrl-D on an empty line too', async () => {
    const t = start();
    await t.type(':quit\r');
    await t.until(() => t.quit());
    const t2 = start();
    await t2.type('\x04');
    await t2.until(() => t2.quit());
  });

  test('without colour the screen has no colour codes', async () => {
    const t = start({ colour: false });
    await t.type(':fti\r');
    await t.until(() => t.screen().includes('unknown command'));
    expect(app!.frames.join('')).not.toMatch(/\x1b\[3\dm/);
  });
});
