// Commands that look at the model and the fit: :summary, :hist, :elbo, :predict,
// :diag, :plan, :graph.

import { fmt, seconds } from '../../format.js';
import { histogramBins } from '../../plots.js';
import { diagnosticBlocks, errorBlock, inputError } from '../errors.js';
import { checkNames, parseInput, staleNote, summaryBlock } from '../query.js';
import { words } from '../args.js';
import { needFit } from './fit.js';
import type { Block, Command } from '../types.js';

const KHAT_MEANING: Record<string, string> = {
  good: 'below 0.5: the approximation covers the posterior well',
  ok: 'between 0.5 and 0.7: usable, but tails may be off',
  unreliable: 'above 0.7: the approximation misses parts of the posterior; try guide=fullrank or more steps',
  unavailable: 'not computed for this fit (optimisation mode or no latents)',
};

export const inspectCommands: Command[] = [
  {
    name: 'summary',
    summary: 'posterior summary of every latent, deterministic and param',
    run({ state }) {
      return { blocks: needFit(state) ?? [summaryBlock(state.fit!.summary()), ...staleNote(state)] };
    },
  },
  {
    name: 'hist',
    usage: 'EXPR',
    summary: 'text histogram of a scalar expression over the posterior draws',
    details: 'EXPR is any scalar expression of the fitted names: :hist tau, :hist theta[1] - theta[0], :hist exp(mu).',
    run({ state, line, args, argsOffset }) {
      if (!args.trim()) return { blocks: [inputError(line, argsOffset, argsOffset + 1, ':hist needs an expression, e.g. :hist mu')] };
      const lead = args.length - args.trimStart().length;
      const text = args.trim();
      const at = argsOffset + lead;
      const parsed = parseInput(text);
      if (!parsed.expr) return { blocks: parsed.blocks };
      const missing = needFit(state);
      if (missing) return { blocks: missing };
      const bad = checkNames(state, parsed.expr, line, at);
      if (bad.length) return { blocks: bad };
      const fit = state.fit!;
      let d;
      try {
        d = fit.posterior.evaluate(parsed.expr);
      } catch (e) {
        const span = (e as { span?: { start: { offset: number }; end: { offset: number } } }).span;
        if (span) return { blocks: [inputError(line, at + span.start.offset, at + span.end.offset, (e as Error).message)] };
        throw e;
      }
      if (d.shape.reduce((a, b) => a * b, 1) !== 1) {
        return { blocks: [inputError(line, at, at + text.length, `:hist needs a scalar; '${text}' has shape [${d.shape.join(', ')}]`, `pick one element, e.g. ${text}[0]`)] };
      }
      const bins = histogramBins(d.values);
      return { blocks: [{ kind: 'histogram', title: `${text}  (${d.values.length} draws)`, bins, total: d.values.length }, ...staleNote(state)] };
    },
  },
  {
    name: 'elbo',
    summary: 'line chart of the ELBO over the steps of the last fit',
    run({ state }) {
      const missing = needFit(state);
      if (missing) return { blocks: missing };
      const fit = state.fit!;
      const optimisation = fit.model.program.mode === 'optimisation';
      return { blocks: [{ kind: 'chart', title: optimisation ? 'negative expected cost by step' : 'ELBO by step', values: [...fit.elboTrace], xLabel: 'step' }] };
    },
  },
  {
    name: 'predict',
    usage: 'NAME',
    summary: 'posterior predictive summary of an observed variable',
    run({ state, line, args, argsOffset }) {
      const w = words(args, argsOffset);
      if (w.length !== 1) return { blocks: [inputError(line, argsOffset, argsOffset + 1, ':predict needs the name of an observed variable, e.g. :predict y')] };
      const missing = needFit(state);
      if (missing) return { blocks: missing };
      try {
        return { blocks: [summaryBlock(state.fit!.predict(w[0]!.text)), ...staleNote(state)] };
      } catch (e) {
        return { blocks: [inputError(line, w[0]!.start, w[0]!.end, (e as Error).message)] };
      }
    },
  },
  {
    name: 'diag',
    summary: 'fit diagnostics: k-hat and its reading, steps, convergence, gradient variance per node',
    details: "k-hat is PSIS's Pareto shape of the importance ratios p/q over the draws (Yao et al. 2018): below 0.5 good, 0.5 to 0.7 ok, above 0.7 unreliable.",
    run({ state }) {
      const missing = needFit(state);
      if (missing) return { blocks: missing };
      const d = state.fit!.diagnostics;
      const rows: string[][] = [
        ['k-hat', Number.isFinite(d.khat) ? `${fmt(d.khat, 2)} (${d.khatReading})` : 'n/a', KHAT_MEANING[d.khatReading] ?? ''],
        ['ELBO', fmt(d.elbo), 'mean of the last window of per-step estimates'],
        ['steps', String(d.steps), d.stopped === 'aborted' ? 'stopped by Ctrl-C' : d.converged ? 'converged (relative ELBO change below tolerance)' : 'reached the step limit without converging: try :set steps=…'],
        ['time', seconds(d.seconds), `${d.seconds > 0 ? Math.round(d.steps / d.seconds) : 0} steps/s`],
        ['backend', d.backend, ''],
        ['settings', `particles=${d.particles} seed=${d.seed} guide=${d.guide}`, ''],
      ];
      const blocks: Block[] = [{ kind: 'table', header: ['', 'value', 'reading'], rows, text: true }];
      const gv = Object.entries(d.gradientVariance ?? {});
      if (gv.length) {
        blocks.push({
          kind: 'table',
          header: ['node', 'gradient variance', ''],
          rows: gv.map(([node, v]) => [node, fmt(v), 'running estimate over the last ~100 steps, mean over its parameters']),
          text: true,
        });
      }
      for (const w of d.warnings) blocks.push({ kind: 'warning', text: `warning: ${w}` });
      return { blocks: [...blocks, ...staleNote(state)] };
    },
  },
  {
    name: 'plan',
    summary: 'the gradient estimator chosen for each stochastic node, and why',
    async run({ state, ctx }) {
      if (!state.checked) return { blocks: [errorBlock('the model is empty')] };
      const { plan } = await ctx.inspectors();
      if (!plan) return { blocks: [{ kind: 'note', text: 'the estimator plan is not available in this build' }] };
      const r = plan(state.checked);
      const blocks: Block[] = [];
      if (r.text) blocks.push({ kind: 'text', text: r.text });
      blocks.push(...diagnosticBlocks(r.diagnostics, state.source));
      return { blocks };
    },
  },
  {
    name: 'graph',
    summary: 'the stochastic computation graph: nodes, kinds and parents',
    async run({ state, ctx }) {
      if (!state.checked) return { blocks: [errorBlock('the model is empty')] };
      const { graph } = await ctx.inspectors();
      if (!graph) return { blocks: [{ kind: 'note', text: 'the graph is not available in this build' }] };
      return { blocks: [{ kind: 'text', text: graph(state.checked) }] };
    },
  },
];
