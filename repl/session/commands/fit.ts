// Commands that fit and keep fits: :set, :seed, :fit, :save, :open.

import type { Fit } from '../../../index.js';
import { optionsFor, parseOptionText } from '../../../inference/options.js';
import { fmt, seconds } from '../../format.js';
import { fileArg, words, type Word } from '../args.js';
import { errorBlock, inputError } from '../errors.js';
import { summaryBlock } from '../query.js';
import type { SessionState, Settings } from '../state.js';
import type { Block, Command, CommandEnv } from '../types.js';

/** The fit options :set can change, from the option table. */
const SETTINGS = optionsFor('repl');

export const SETTING_NAMES: readonly string[] = SETTINGS.map((s) => s.name);

/** Parses `key=value …`; all or nothing, so a typo does not half-apply a line. */
function parseSettings(env: CommandEnv): { settings?: Settings; blocks: Block[] } {
  const out: Record<string, number | string | boolean> = {};
  for (const w of words(env.args, env.argsOffset)) {
    const eq = w.text.indexOf('=');
    const key = eq < 0 ? w.text : w.text.slice(0, eq);
    const spec = SETTINGS.find((s) => s.name === key);
    if (!spec) {
      const near = SETTING_NAMES.find((k) => k.startsWith(key.slice(0, 2)));
      return { blocks: [inputError(env.line, w.start, w.start + key.length, `unknown setting '${key}'${near ? ` (did you mean '${near}'?)` : ''}`, `settings: ${SETTING_NAMES.join(', ')}`)] };
    }
    if (eq < 0) return { blocks: [inputError(env.line, w.start, w.end, `write ${key}=VALUE`)] };
    const parsed = parseOptionText(spec, w.text.slice(eq + 1));
    if (!parsed.ok) return { blocks: [inputError(env.line, w.start + eq + 1, w.end, parsed.message)] };
    out[key] = parsed.value;
  }
  return { settings: out as Settings, blocks: [] };
}

async function showSettings(env: CommandEnv): Promise<Block[]> {
  const { defaults } = await env.ctx.engine();
  const rows = SETTINGS.map((s) => {
    const set = env.state.settings[s.name as keyof Settings];
    const value = set ?? defaults[s.name] ?? '';
    return [s.name, String(value), set === undefined ? 'default' : 'set', s.help];
  });
  return [{ kind: 'table', header: ['setting', 'value', '', 'meaning'], rows, text: true }];
}

export function diagLine(fit: Fit): string {
  const d = fit.diagnostics;
  const optimisation = fit.model.program.mode === 'optimisation';
  const objective = optimisation ? `expected cost ${fmt(-d.elbo)}` : `ELBO ${fmt(d.elbo)}`;
  const khat = Number.isFinite(d.khat) ? `${fmt(d.khat, 2)} (${d.khatReading})` : 'n/a';
  const how = d.stopped === 'aborted' ? 'stopped by Ctrl-C' : d.converged ? 'converged' : 'max steps reached';
  return `${objective}   k-hat ${khat}   ${d.steps} steps (${how})   backend ${d.backend}   ${seconds(d.seconds)}`;
}

function needFit(state: SessionState): Block[] | undefined {
  return state.fit ? undefined : [errorBlock('no fit yet: run :fit first')];
}

async function runFit(env: CommandEnv): Promise<Block[]> {
  const { state, ctx, hooks } = env;
  if (!state.checked || state.chunks.length === 0) return [errorBlock('the model is empty: type statements (e.g. mu ~ Normal(0, 1)) or :load FILE first')];
  if (env.args.trim()) {
    // `:fit steps=500` is a one-off :set.
    const parsed = parseSettings(env);
    if (!parsed.settings) return parsed.blocks;
    Object.assign(state.settings, parsed.settings);
  }
  const engine = await ctx.engine();
  const maxSteps = state.settings.steps ?? Number(engine.defaults['steps']);
  hooks.onFitStart?.({ maxSteps });
  const source = state.source;
  const fit = await engine.fit(state.checked, state.warnings, {
    data: state.data,
    dataFile: state.dataFile,
    ...state.settings,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
  });
  state.fit = fit;
  state.fitSource = source;
  const out: Block[] = [];
  if (fit.diagnostics.stopped === 'aborted') out.push({ kind: 'warning', text: `fit stopped at step ${fit.diagnostics.steps} (Ctrl-C): keeping the result so far` });
  for (const w of fit.diagnostics.warnings) out.push({ kind: 'warning', text: `warning: ${w}` });
  out.push(summaryBlock(fit.summary()), { kind: 'ok', text: diagLine(fit) });
  return out;
}

function needFile(env: CommandEnv, name: string): Word | Block[] {
  return fileArg(env.args, env.argsOffset) ?? [inputError(env.line, env.argsOffset, Math.max(env.line.length, env.argsOffset + 1), `${name} needs one FILE argument`, `e.g. ${name} fit.json`)];
}

export const fitCommands: Command[] = [
  {
    name: 'set',
    usage: '[key=value …]',
    summary: `fit settings: ${SETTING_NAMES.join(' ')}`,
    details: 'Without arguments, lists the settings and their values. Example: :set steps=5000 particles=8 seed=3 lr=0.05 guide=fullrank backend=wasm',
    async run(env) {
      if (!env.args.trim()) return { blocks: await showSettings(env) };
      const parsed = parseSettings(env);
      if (!parsed.settings) return { blocks: parsed.blocks };
      Object.assign(env.state.settings, parsed.settings);
      return { blocks: [{ kind: 'note', text: Object.entries(parsed.settings).map(([k, v]) => `${k}=${v}`).join(' ') }] };
    },
  },
  {
    name: 'seed',
    usage: 'N',
    summary: 'set the random seed (same as :set seed=N)',
    run(env) {
      const w = words(env.args, env.argsOffset);
      if (w.length !== 1 || !/^-?\d+$/.test(w[0]!.text)) {
        const at = w[0] ?? { start: env.argsOffset, end: env.argsOffset + 1 };
        return { blocks: [inputError(env.line, at.start, at.end, ':seed needs one integer, e.g. :seed 3')] };
      }
      env.state.settings.seed = Number(w[0]!.text);
      return { blocks: [{ kind: 'note', text: `seed=${env.state.settings.seed}` }] };
    },
  },
  {
    name: 'fit',
    usage: '[key=value …]',
    summary: 'fit the model (Ctrl-C stops and keeps the result so far)',
    details: 'Fits the current program to the data by variational inference with the :set settings (arguments are a one-off :set). While it runs, a progress bar shows the step, the ELBO and its trend, steps/s and the time left at most. Ctrl-C stops the fit early and keeps its result.',
    async run(env) {
      return { blocks: await runFit(env) };
    },
  },
  {
    name: 'save',
    usage: 'FILE',
    summary: 'save the fit (model, data, settings, parameters) as JSON',
    async run(env) {
      const missing = needFit(env.state);
      if (missing) return { blocks: missing };
      const w = needFile(env, ':save');
      if (Array.isArray(w)) return { blocks: w };
      env.ctx.writeText(w.text, JSON.stringify(env.state.fit!.toJSON()) + '\n');
      return { blocks: [{ kind: 'ok', text: `saved the fit to ${w.text}` }] };
    },
  },
  {
    name: 'open',
    usage: 'FILE',
    summary: 'open a fit saved by :save (its model and data come with it)',
    async run(env) {
      const w = needFile(env, ':open');
      if (Array.isArray(w)) return { blocks: w };
      const text = env.ctx.readText(w.text, 'fit');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        return { blocks: [errorBlock(`${w.text}: not JSON (${(e as Error).message})`)] };
      }
      const fit = await (await env.ctx.engine()).open(json);
      const { state } = env;
      const program = fit.model.program;
      state.chunks = [{ text: program.source, origin: program.file }];
      state.modelFile = program.file;
      state.checked = program;
      state.warnings = [...fit.model.warnings];
      state.data = (json as { data?: Record<string, unknown> }).data ?? {};
      state.dataFile = undefined;
      state.fit = fit;
      state.fitSource = state.source;
      return { blocks: [{ kind: 'ok', text: `opened ${w.text}: a fit of ${program.file}` }, { kind: 'note', text: diagLine(fit) }] };
    },
  },
];

export { needFit, parseSettings };
