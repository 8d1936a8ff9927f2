// The `tilde` command line. Commander parses; each command reads files, calls the
// engine and prints. Heavy modules (tfjs) load lazily so `tilde check` starts fast.
// Exit codes: 0 ok, 1 model/data/fit errors, 2 usage.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EvalError } from '../language/errors.js';
import { frontEnd, ModelError, renderDiagnostics } from '../language/index.js';
import type { FitOptions } from '../index.js';
import { kebab, optionsFor, optionSpec, type OptionSpec } from '../inference/options.js';
import { defaultDataFile, readDataFile, readText } from './files.js';
import { dataCommand } from './data.js';
import { fmt, formatSurrogates, seconds, summaryTable, table } from './format.js';
import type { Progress } from '../inference/fit.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

function intArg(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

function numArg(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
    return n;
  };
}

/** A commander option for a fit option: its flag, help, parser or choices come from the option table. */
function flagFor(spec: OptionSpec): Option {
  const flag = `--${spec.flag ?? kebab(spec.name)}`;
  const t = spec.type;
  switch (t.kind) {
    case 'count':
    case 'integer':
      return new Option(`${flag} <n>`, spec.help).argParser(intArg(flag));
    case 'positive':
    case 'nonnegative':
      return new Option(`${flag} <x>`, spec.help).argParser(numArg(flag));
    case 'choice':
    case 'choice-by-site':
      return new Option(`${flag} <name>`, spec.help).choices(t.choices);
    case 'boolean':
      return new Option(flag, spec.help);
    case 'value':
      throw new Error(`internal: fit option ${spec.name} has no command-line form`);
  }
}

/** Adds the flags of these fit options to a command; the result reads the parsed flags back as fit options. */
function fitFlags(cmd: Command, specs: readonly OptionSpec[]): (opts: Record<string, unknown>) => FitOptions {
  const added = specs.map((spec) => {
    const option = flagFor(spec);
    cmd.addOption(option);
    return { name: spec.name, key: option.attributeName() };
  });
  return (opts) => Object.fromEntries(added.map(({ name, key }) => [name, opts[key]])) as FitOptions;
}

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function loadModel(file: string, io: Io) {
  const source = readText(file, 'model');
  const { checked, diagnostics } = frontEnd(source, file);
  if (!checked) {
    io.err(renderDiagnostics(diagnostics, source) + '\n');
    throw new ExitCode(1);
  }
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  return { source, checked, warnings };
}

function loadData(modelFile: string, dataFile: string | undefined) {
  const file = dataFile ?? defaultDataFile(modelFile);
  return { file, data: file ? readDataFile(file) : {} };
}

function progressBar(io: Io) {
  let last = 0;
  return (p: Progress) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((p.step / p.maxSteps) * width);
    const relax = p.surrogates ? `  ${formatSurrogates(p.surrogates)}` : '';
    io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${p.step}  ELBO ${fmt(p.smoothedElbo)}  ${Math.round(p.stepsPerSecond)} steps/s  ${p.phase}${relax}   `);
  };
}

/** Rows of one variable `tilde fit` prints before saying how many more there are. */
const SUMMARY_ROWS = 20;

export function buildProgram(io: Io): Command {
  const program = new Command('tilde')
    .description('tilde: probabilistic programs with discrete and continuous latents, fitted by variational inference')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('check')
    .description('check a model (and its data) and describe it')
    .argument('<model>', 'a .tilde file')
    .option('--data <file>', 'data (JSON or CSV); defaults to MODEL.json beside the model')
    .option('--json', 'machine-readable output')
    .action(async (modelFile: string, opts: { data?: string; json?: boolean }) => {
      const { checked, warnings, source } = loadModel(modelFile, io);
      const { describeProgram } = await import('./describe.js');
      if (opts.data) {
        const { bindData } = await import('../language/data.js');
        const bound = bindData(checked, readDataFile(opts.data), opts.data);
        warnings.push(...bound.warnings);
      }
      const d = describeProgram(checked);
      const { makePlan, formatPlan, planToJSON } = await import('../inference/plan.js');
      const { plan, diagnostics } = makePlan(checked);
      if (!plan) {
        io.err(renderDiagnostics(diagnostics, source) + '\n');
        throw new ExitCode(1);
      }
      warnings.push(...(plan.warnings ?? []));
      if (opts.json) io.out(JSON.stringify({ ...d.json, plan: planToJSON(plan) }, null, 2) + '\n');
      else {
        if (warnings.length) io.err(renderDiagnostics(warnings, source) + '\n');
        io.out(d.text + '\n');
        if (plan.entries.length) io.out('\nestimator plan:\n' + formatPlan(plan) + '\n');
      }
    });

  const fitCmd = program
    .command('fit')
    .description('fit a model by variational inference and print its posterior')
    .argument('<model>', 'a .tilde file')
    .option('--data <file>', 'data (JSON or CSV); defaults to MODEL.json beside the model');
  const fitOptions = fitFlags(fitCmd, optionsFor('cli'));
  fitCmd
    .option('--json', 'machine-readable output (with elbo_per_datum, the full-data ELBO per plate entry, for a model with a plate)')
    .action(async (modelFile: string, opts: Record<string, unknown>) => {
      const { source, checked, warnings } = loadModel(modelFile, io);
      const { file: dataFile, data } = loadData(modelFile, opts['data'] as string | undefined);
      if (!opts['json'] && warnings.length) io.err(renderDiagnostics(warnings, source) + '\n');
      const { Model } = await import('../index.js');
      const model = new Model(checked, warnings);
      const showProgress = io.isTTY && !opts['json'];
      const fit = await model.fit({ ...fitOptions(opts), data, dataFile, onProgress: showProgress ? progressBar(io) : undefined }).catch((e: unknown) => {
        // A run-time error of the model names its file, line and column.
        if (e instanceof EvalError && !e.message.includes(`${modelFile}:`)) {
          io.err(`${modelFile}:${e.span.start.line}:${e.span.start.column}: ${e.message}\n`);
          throw new ExitCode(1);
        }
        throw e;
      });
      if (showProgress) io.err('\r' + ' '.repeat(100) + '\r');
      if (!opts['json'] && fit.plan.warnings?.length) io.err(renderDiagnostics(fit.plan.warnings, source) + '\n');
      const d = fit.diagnostics;
      if (opts['json']) {
        // A model with a plate also reports the full-data ELBO per datum (nats), comparable across batch sizes.
        const perDatum = d.elboPerDatum !== undefined ? { full_elbo: d.fullElbo, elbo_per_datum: d.elboPerDatum } : {};
        const batch = d.batchSize !== undefined ? { batch_size: d.batchSize } : {};
        io.out(JSON.stringify({ summary: fit.summary(), plan: fit.planJSON(), elbo: d.elbo, ...perDatum, khat: Number.isFinite(d.khat) ? d.khat : null, backend: d.backend, ...(d.lowering ? { lowering: d.lowering } : {}), steps: d.steps, ...batch, ...(d.init ? { init: d.init.used } : {}), seconds: d.seconds, converged: d.converged }, null, 2) + '\n');
        return;
      }
      // The first rows of each variable: --json gives every one.
      io.out(summaryTable(fit.summary(), SUMMARY_ROWS) + '\n\n');
      const mode = checked.mode === 'optimisation' ? 'expected cost' : 'ELBO';
      const value = checked.mode === 'optimisation' ? -d.elbo : d.elbo;
      const perDatum = d.elboPerDatum !== undefined ? `   full-data ELBO ${fmt(d.fullElbo!)} (${fmt(d.elboPerDatum)} per datum)` : '';
      io.out(`${mode} ${fmt(value)}${perDatum}   k-hat ${Number.isFinite(d.khat) ? fmt(d.khat, 2) + ` (${d.khatReading})` : 'n/a'}   ${d.steps} steps (${d.converged ? 'converged' : d.stopped})${d.init?.used === 'laplace' ? `, Laplace start${d.init.summedOut ? ` (${d.init.summedOut.join(', ')} summed out)` : ''}` : ''}   backend ${d.backend}${d.lowering === 'tfjs' ? ' (compiled step, tfjs kernels)' : ''}   ${seconds(d.seconds)}\n`);
      if (d.drawsKept) io.out(`note: kept ${d.drawsKept.kept} of the ${d.drawsKept.asked} posterior draws asked for: one draw holds ${d.drawsKept.valuesPerDraw.toLocaleString('en-US')} values (latents, replicates), too many to keep them all\n`);
      if (d.surrogates) io.out(`${formatSurrogates(d.surrogates)} (learned temperature and control-variate scale)\n`);
      if (d.estimatorChoice?.length) {
        const { describeSite } = await import('../inference/variance-choice.js');
        for (const site of new Set(d.estimatorChoice.map((c) => c.site))) io.out(`note: ${site}: ${describeSite(d.estimatorChoice, site)}\n`);
      }
    });

  const replCmd = program
    .command('repl')
    .description('explore models and posteriors interactively (reads commands line by line when stdin is not a terminal)')
    .argument('[model]', 'a .tilde file to start from')
    .option('--data <file>', 'data (JSON or CSV); defaults to MODEL.json beside the model');
  const replOptions = fitFlags(replCmd, [optionSpec('backend')]);
  replCmd
    .action(async (modelFile: string | undefined, opts: Record<string, unknown>) => {
      const { runRepl } = await import('./start.js');
      const code = await runRepl({ model: modelFile, data: opts['data'] as string | undefined, backend: replOptions(opts).backend, version: program.version() });
      if (code !== 0) throw new ExitCode(code);
    });

  const gradCmd = program
    .command('grad')
    .description('mean and variance of gradient estimates at the initial parameters, per estimator')
    .argument('<model>', 'a .tilde file')
    .option('--data <file>', 'data (JSON or CSV); defaults to MODEL.json beside the model');
  // draws and particles mean other things here (estimates, and particles per estimate).
  const gradOptions = fitFlags(gradCmd, (['estimator', 'baseline', 'objective', 'seed', 'backend'] as const).map(optionSpec));
  gradCmd
    .option('--draws <m>', 'number of gradient estimates', intArg('--draws'), 1000)
    .option('--particles <s>', 'particles averaged in each estimate', intArg('--particles'), 1)
    .option('--surrogate-steps <k>', 'RELAX/REBAR: train the surrogate this many steps first', intArg('--surrogate-steps'))
    .option('--json', 'machine-readable output')
    .action(async (modelFile: string, opts: Record<string, unknown>) => {
      const { checked, warnings } = loadModel(modelFile, io);
      const { file: dataFile, data } = loadData(modelFile, opts['data'] as string | undefined);
      const { Model } = await import('../index.js');
      const { estimateGradients } = await import('../inference/gradients.js');
      const { estimator, baseline, objective, seed, backend } = gradOptions(opts);
      const r = await estimateGradients(new Model(checked, warnings), {
        data,
        dataFile,
        draws: opts['draws'] as number,
        particles: opts['particles'] as number,
        seed,
        estimator,
        baseline,
        objective,
        surrogateSteps: opts['surrogateSteps'] as number | undefined,
        backend,
      });
      if (opts['json']) {
        io.out(JSON.stringify({ params: r.params, plan: r.plan, backend: r.backend, lowering: r.lowering }, null, 2) + '\n');
        return;
      }
      const rows: string[][] = [];
      for (const [name, st] of Object.entries(r.params)) {
        st.mean.forEach((m, i) => rows.push([st.mean.length > 1 ? `${name}[${i}]` : name, fmt(m), fmt(st.variance[i]!), fmt(Math.sqrt(st.variance[i]! / st.draws))]));
      }
      io.out(table(['parameter', 'mean', 'variance', 'se of mean'], rows) + '\n');
      io.out(`\n${Object.entries(r.plan).map(([k, v]) => `${k}: ${v}`).join(', ') || 'no stochastic nodes'}   ${opts['draws']} estimates × ${opts['particles']} particles   backend ${r.backend}\n`);
    });

  program
    .command('serve')
    .description('serve the browser playground on 127.0.0.1 and print its URL (build it first: npm run playground)')
    .option('--port <n>', 'port (0: any free port)', intArg('--port'), 8737)
    .option('--dir <folder>', 'the built playground folder (default dist/playground)')
    .action(async (opts: { port: number; dir?: string }) => {
      const { defaultPlaygroundDir, serveDirectory } = await import('./serve.js');
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      const dir = opts.dir ?? defaultPlaygroundDir();
      if (!existsSync(join(dir, 'index.html'))) {
        io.err(`error: no playground in ${dir}; build it with: npm run playground\n`);
        throw new ExitCode(1);
      }
      const served = await serveDirectory(dir, { port: opts.port });
      io.out(`tilde playground: ${served.url}  (serving ${dir}; Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => served.server.once('close', () => resolve()));
    });

  dataCommand(program, io);

  return program;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ModelError) {
      io.err(e.message + '\n');
      return 1;
    }
    const err = e as Error;
    if (err instanceof EvalError) {
      // A run-time error of the model (a value out of its domain): its statement's place, not a stack.
      const at = err.message.includes(`line ${err.span.start.line}:`) ? '' : `line ${err.span.start.line}:${err.span.start.column}: `;
      io.err(`error: ${at}${err.message}\n`);
      return 1;
    }
    if (err.name === 'FitError' || err.name === 'RangeError' || err.name === 'TypeError') {
      io.err(`error: ${err.message}\n`);
      return err.name === 'FitError' ? 1 : 2;
    }
    io.err(`internal error (a bug in tilde, please report it): ${err.stack ?? err.message}\n`);
    return 1;
  }
}
