// The fit options, once. Each entry gives an option's name, the values it takes, its default,
// what it means and where it can be given; the API's defaults and validation (model.ts), the
// `tilde fit` flags (repl/cli.ts), the REPL's :set and its completion (repl/session/commands/
// fit.ts) and the option table of docs/api.md are all read off this table, so a new option is
// one entry here plus the engine code that uses it.
// Plain data and pure functions, importing nothing heavy: the CLI reads it before tfjs loads,
// and the browser bundle may take it too.

import { ESTIMATORS } from '../language/distributions.js';
import { TFJS_BACKENDS } from './backend-names.js';
import type { BaselineKind } from './estimators/baselines.js';
import type { OptimizerName } from './fit.js';
import type { InitKind } from './init.js';
import type { GuideKind } from './layout.js';
import type { EstimatorKind } from './plan.js';

/** Where an option can be given: `model.fit(options)`, a `tilde fit` flag, the REPL's `:set`. */
export type Surface = 'api' | 'cli' | 'repl';

/** The values an option takes; the kind decides its check, its parser for typed text and its description. */
export type OptionType =
  | { kind: 'count' }
  | { kind: 'integer' }
  | { kind: 'positive' }
  | { kind: 'nonnegative' }
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] }
  /** One choice for every site, or (API only) an object of choices by site name. */
  | { kind: 'choice-by-site'; choices: readonly string[] }
  /** Passed through unchecked (data, callbacks); `ts` names its TypeScript type for the docs. */
  | { kind: 'value'; ts: string };

export interface OptionSpec {
  name: string;
  type: OptionType;
  /** Absent: the engine decides (all the data, the plan's estimators, no callback). */
  default?: number | string | boolean;
  help: string;
  surfaces: readonly Surface[];
  /** The CLI flag without `--`, when it is not the name in kebab case. */
  flag?: string;
}

/** Where the step runs: 'auto' and the compiled 'js' step, then the tfjs backends. */
export const BACKEND_CHOICES = ['auto', 'js', ...TFJS_BACKENDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The language's estimators with 'rebar' (RELAX without its learned network) beside 'relax'. */
export const ESTIMATOR_CHOICES = [...ESTIMATORS.flatMap((e) => (e === 'relax' ? ['relax', 'rebar'] : [e])), 'auto-variance'] as readonly (EstimatorKind | 'rebar' | 'auto-variance')[];

const guides = ['meanfield', 'fullrank'] as const;
const inits = ['auto', 'laplace', 'random'] as const;
const optimizers = ['adam', 'sgd', 'rmsprop'] as const;
const baselines = ['auto', 'loo', 'ema', 'none', 'nvil'] as const;
const objectives = ['elbo', 'iwae'] as const;

const everywhere = ['api', 'cli', 'repl'] as const;
const apiAndCli = ['api', 'cli'] as const;
const apiOnly = ['api'] as const;

// The order is that of `tilde fit --help`, of :set's listing and of the docs' table.
export const FIT_OPTIONS = [
  { name: 'data', type: { kind: 'value', ts: 'Record<string, unknown>' }, help: 'the data: an object of names (JSON, or CSV columns); the CLI reads it from --data FILE', surfaces: apiOnly },
  { name: 'dataFile', type: { kind: 'value', ts: 'string' }, help: 'the file the data came from, named in data diagnostics', surfaces: apiOnly },
  { name: 'steps', type: { kind: 'count' }, default: 10_000, help: 'maximum optimisation steps (the fit stops earlier when the ELBO converges)', surfaces: everywhere },
  { name: 'particles', type: { kind: 'count' }, default: 8, help: 'Monte Carlo particles per step', surfaces: everywhere },
  {
    name: 'objective',
    type: { kind: 'choice', choices: objectives },
    default: 'elbo',
    help: "what the fit maximises: elbo, or iwae (the importance-weighted bound over the particles, K = particles ≥ 2; discrete sites take VIMCO's leave-one-out score-function estimator)",
    surfaces: everywhere,
  },
  { name: 'batchSize', flag: 'batch', type: { kind: 'count' }, help: "minibatch size: each step uses B random entries of the model's plate, its local terms weighted by N/B (default: all the data)", surfaces: apiAndCli },
  { name: 'lr', type: { kind: 'positive' }, default: 0.05, help: 'learning rate of the optimiser', surfaces: everywhere },
  { name: 'seed', type: { kind: 'integer' }, default: 1, help: 'random seed: the same seed gives the same numbers', surfaces: everywhere },
  { name: 'guide', type: { kind: 'choice', choices: guides }, default: 'meanfield', help: 'automatic guide: a mean-field or a full-rank Normal in unconstrained space', surfaces: everywhere },
  {
    name: 'init',
    type: { kind: 'choice', choices: inits },
    default: 'auto',
    help: "where the automatic guide starts: laplace (the posterior mode, Laplace covariance), random (Stan's U(-2, 2)), auto (laplace when every latent is continuous, or discrete and summable out, and there are at most 100 continuous scalars)",
    surfaces: apiAndCli,
  },
  { name: 'optimizer', type: { kind: 'choice', choices: optimizers }, default: 'adam', help: 'optimiser', surfaces: apiAndCli },
  {
    name: 'backend',
    type: { kind: 'choice', choices: BACKEND_CHOICES },
    default: 'auto',
    help: "where the step runs: js (compiled to JavaScript; an error when the fit cannot be), or the compiled step on tfjs kernels of tensorflow, wasm, cpu or webgl; auto: JavaScript when the fit compiles and its matrix products are small, else tfjs on the backend that suits the model's size; env TILDE_BACKEND",
    surfaces: everywhere,
  },
  { name: 'draws', type: { kind: 'count' }, default: 1000, help: 'posterior draws kept for summaries and queries', surfaces: everywhere },
  { name: 'estimator', type: { kind: 'choice-by-site', choices: ESTIMATOR_CHOICES }, help: "force an estimator on every discrete site (rebar: RELAX without its learned network; marginalize: a plated Bernoulli or Categorical site summed out of the model; lax: every continuous site that has an explicit guide line or is drawn from its own distribution), or auto-variance: measure each site's unbiased candidates at the start and keep the one with the least gradient variance per unit of work", surfaces: apiAndCli },
  {
    name: 'remeasureEvery',
    type: { kind: 'count' },
    help: "with estimator auto-variance: steps between measurements of the candidates at the fit's parameters then (the fit switches when a site's choice changes; default: a fifth of the steps, rounded to evalEvery; larger than steps: only at the start)",
    surfaces: apiAndCli,
  },
  { name: 'baseline', type: { kind: 'choice', choices: baselines }, default: 'auto', help: "REINFORCE baseline: loo (leave-one-out, 2 or more particles), ema (moving average), none, or nvil (learned from each plate entry's data rows); auto picks loo or ema by particles", surfaces: apiAndCli },
  { name: 'normalise', type: { kind: 'boolean' }, default: false, help: 'scale REINFORCE signals by a running estimate of their sd', surfaces: apiOnly },
  { name: 'concreteTemperature', type: { kind: 'positive' }, default: 0.5, help: 'temperature of the concrete relaxation', surfaces: apiOnly },
  { name: 'straightThrough', type: { kind: 'boolean' }, default: false, help: 'concrete with hard values forward and relaxed gradients', surfaces: apiOnly },
  { name: 'surrogateLr', type: { kind: 'positive' }, default: 0.01, help: "learning rate of RELAX's surrogate parameters (the paper's)", surfaces: apiOnly },
  { name: 'tolRelObj', type: { kind: 'nonnegative' }, default: 0.01, help: "relative ELBO change below which the fit counts as converged (Stan's tol_rel_obj); a stochastic objective runs every step (0) unless given", surfaces: apiOnly },
  { name: 'evalEvery', type: { kind: 'count' }, default: 50, help: 'steps between ELBO read-backs, progress events and convergence checks', surfaces: apiOnly },
  { name: 'onProgress', type: { kind: 'value', ts: '(p: Progress) => void' }, help: 'called every evalEvery steps with { step, elbo, smoothedElbo, stepsPerSecond, phase, maxSteps }', surfaces: apiOnly },
  { name: 'signal', type: { kind: 'value', ts: 'AbortSignal' }, help: "stops the fit; it resolves with what it has (diagnostics.stopped === 'aborted')", surfaces: apiOnly },
] as const satisfies readonly OptionSpec[];

type Entry = (typeof FIT_OPTIONS)[number];
export type OptionName = Entry['name'];

/** The options that can be given on a surface, in table order. */
export function optionsFor(surface: Surface): readonly OptionSpec[] {
  return FIT_OPTIONS.filter((o) => (o.surfaces as readonly Surface[]).includes(surface));
}

export function optionSpec(name: OptionName): OptionSpec {
  return FIT_OPTIONS.find((o) => o.name === name)!;
}

type OnSurface<S extends Surface, E = Entry> = E extends { surfaces: readonly (infer U)[] } ? (S extends U ? E : never) : never;
export type OptionNameOn<S extends Surface> = OnSurface<S>['name'];

type ValueOf<E extends Entry> = E['type'] extends { kind: 'choice'; choices: readonly (infer C)[] } ? C : E extends { default: infer D } ? (D extends number ? number : D extends boolean ? boolean : D) : never;

/** The options with a default, and their types: `FIT_DEFAULTS` (model.ts) has this type. */
export type FitDefaults = { readonly [E in Extract<Entry, { default: unknown }> as E['name']]: ValueOf<E> };

export function optionDefaults(): FitDefaults {
  return Object.fromEntries(FIT_OPTIONS.flatMap((o) => ('default' in o ? [[o.name, o.default]] : []))) as unknown as FitDefaults;
}

/** The values an option takes, in words: "a positive integer", "one of meanfield, fullrank". */
export function describeType(t: OptionType): string {
  switch (t.kind) {
    case 'count':
      return 'a positive integer';
    case 'integer':
      return 'an integer';
    case 'positive':
      return 'a number > 0';
    case 'nonnegative':
      return 'a number ≥ 0';
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${t.choices.join(', ')}`;
    case 'choice-by-site':
      return `one of ${t.choices.join(', ')}, or an object of them by site`;
    case 'value':
      return t.ts;
  }
}

function accepts(t: OptionType, v: unknown): boolean {
  switch (t.kind) {
    case 'count':
      return Number.isInteger(v) && (v as number) >= 1;
    case 'integer':
      return Number.isInteger(v);
    case 'positive':
      return typeof v === 'number' && v > 0;
    case 'nonnegative':
      return typeof v === 'number' && v >= 0;
    case 'boolean':
      return typeof v === 'boolean';
    case 'choice':
      return t.choices.includes(v as string);
    case 'choice-by-site':
      if (typeof v === 'string') return t.choices.includes(v);
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => t.choices.includes(x as string));
    case 'value':
      return true;
  }
}

function shown(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Why a given value does not fit the option ("must be …, found …"); undefined when it does or is absent. */
export function optionProblem(spec: OptionSpec, v: unknown): string | undefined {
  if (v === undefined || accepts(spec.type, v)) return undefined;
  return `${spec.name} must be ${describeType(spec.type)}, found ${shown(v)}`;
}

export type ParsedText = { ok: true; value: number | string | boolean } | { ok: false; message: string };

/** An option's value from typed text (the REPL's `key=value`); the message names the option. */
export function parseOptionText(spec: OptionSpec, text: string): ParsedText {
  const t = spec.type;
  const value = ((): number | string | boolean | undefined => {
    switch (t.kind) {
      case 'count':
        return /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : undefined;
      case 'integer':
        return /^-?\d+$/.test(text) ? Number(text) : undefined;
      case 'positive':
      case 'nonnegative': {
        const x = text.trim() === '' ? NaN : Number(text);
        return Number.isFinite(x) && (t.kind === 'positive' ? x > 0 : x >= 0) ? x : undefined;
      }
      case 'boolean':
        return text === 'true' ? true : text === 'false' ? false : undefined;
      case 'choice':
      case 'choice-by-site':
        return t.choices.includes(text) ? text : undefined;
      case 'value':
        return undefined;
    }
  })();
  return value === undefined ? { ok: false, message: `${spec.name} must be ${describeType(t)}, found '${text}'` } : { ok: true, value };
}

/** The option table of docs/api.md (test/examples/options-doc.test.ts keeps the page in step). */
export function optionTableMarkdown(): string {
  const code = (s: string) => '`' + s + '`';
  const rows = FIT_OPTIONS.map((o: OptionSpec) => {
    const on = (s: Surface) => o.surfaces.includes(s);
    const values = o.type.kind === 'value' ? code(o.type.ts) : describeType(o.type);
    const flag = on('cli') ? code(`--${o.flag ?? kebab(o.name)}`) : '';
    return [code(o.name), values.replaceAll('|', '\\|'), o.default === undefined ? '' : code(String(o.default)), flag, on('repl') ? 'yes' : '', o.help];
  });
  const lines = [['option', 'values', 'default', '`tilde fit`', '`:set`', 'meaning'], ['---', '---', '---', '---', '---', '---'], ...rows];
  return lines.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

// The engine's own names for these values: the table's lists must be exactly them.
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;
type ChoiceOf<N extends OptionName> = Extract<Entry, { name: N }>['type'] extends { choices: readonly (infer C)[] } ? C : never;
export type TableMatchesEngine = [
  Assert<Same<ChoiceOf<'guide'>, GuideKind>>,
  Assert<Same<ChoiceOf<'init'>, InitKind>>,
  Assert<Same<ChoiceOf<'optimizer'>, OptimizerName>>,
  Assert<Same<Exclude<ChoiceOf<'baseline'>, 'auto'>, BaselineKind>>,
];
