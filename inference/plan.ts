// The estimator plan: one gradient estimator per optimised stochastic node, with the reason in
// words a user understands ("z: RELAX — Bernoulli; reaches the likelihood only through `z @ W`
// (sbn.tilde:27)").
//
// Which nodes are optimised:
// - inference (and prior) mode: every latent, through its variational distribution. A latent
//   with an explicit guide site takes the estimator of the GUIDE site's family (a Gamma guide
//   site: REINFORCE, since Gamma has no reparameterised sampler here); a latent without one gets
//   an automatic guide: continuous → a Normal in unconstrained space (ADVI), always reparam;
//   discrete → the model's family with free parameters, estimator by the rules below.
// - optimisation mode: every latent whose distribution depends (transitively) on a param.
//
// Rules (DESIGN.md "Smoothness analysis and the estimator plan"):
// 1. continuous with a reparameterised sampler → reparam, unless its value reaches a cost through
//    a step (a comparison, rounding, an `if` condition: smoothness.ts) → LAX; without a
//    reparameterised sampler → REINFORCE (automatic guides stay pathwise, with a warning);
// 2. discrete, relaxable (Bernoulli, Categorical) and smooth (smoothness.ts) → RELAX;
// 3. otherwise REINFORCE, saying why (infinite support, no relaxation, the first non-smooth use).
// Overrides: an annotation (`@reinforce`, on the model site or the guide site; the guide site's
// wins) or a fit option (which wins over annotations). An override that cannot apply is an error
// diagnostic (reparam on a discrete site, relax/concrete on a continuous or unrelaxable one,
// enumerate on a continuous or infinite one); RELAX on a non-smooth site is allowed with a
// warning, since it stays unbiased.
//
// Pure TypeScript: no tfjs, no Node-only modules.

import type { Diagnostic } from '../language/diagnostics.js';
import { ESTIMATORS, type EstimatorName, type FamilySpec } from '../language/distributions.js';
import type { CheckedProgram, SiteInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';
import { ancestors, buildGraph, type Graph } from './graph.js';
import { analyseContinuousSmoothness, analyseSmoothness, describeNonSmooth, type SmoothnessResult } from './smoothness.js';
import type { GuideKind } from './layout.js';
import { analyseLoops, formatLoops, type LoopEntry } from './loops.js';

/** The language's estimator annotations (`@reinforce`) are the estimators a plan can choose. */
export type EstimatorKind = EstimatorName;

export interface PlanEntry {
  /** The latent's name (model and guide sites share it). */
  site: string;
  /** 'guide' when an explicit guide site is what is optimised. */
  scope: 'model' | 'guide';
  /** The family whose parameters receive the gradient (the guide site's for explicit guides). */
  family: string;
  estimator: EstimatorKind;
  /** Why, naming source places as file:line; starts with the family. */
  reason: string;
  overridden?: 'annotation' | 'option';
  /** The optimised site's name in the source (the guide site's when scope is 'guide'). */
  span: Span;
  /** Automatic guides: what the engine builds ('advi' Normal in unconstrained space, 'fullrank', or 'discrete' free-parameter family). */
  autoGuide?: 'advi' | 'fullrank' | 'discrete';
  /** Discrete sites: the smoothness verdict the choice was based on. */
  smooth?: boolean;
}

export interface Plan {
  entries: PlanEntry[];
  bySite: Map<string, PlanEntry>;
  /** Which for loops run vectorised and which unrolled, with why (inference/loops.ts). */
  loops?: LoopEntry[];
  /** The planner's warnings (RELAX forced on a non-smooth site, a step an automatic guide cannot follow). */
  warnings?: Diagnostic[];
}

export interface PlanOptions {
  guide?: GuideKind;
  /** Force one estimator for every discrete site, or choose per site by name. */
  estimator?: EstimatorKind | Record<string, EstimatorKind>;
  /**
   * 'iwae': the fit maximises the importance-weighted bound, whose discrete sites take VIMCO's
   * score-function estimator (estimators/vimco.ts): RELAX, concrete and enumerate are built for the
   * ELBO's per-particle mean and do not apply; summing a site out (marginalize) still does.
   */
  objective?: 'elbo' | 'iwae';
}

/** Why estimator `e` cannot serve the importance-weighted bound (undefined when it can). */
function notForIwae(e: EstimatorKind): string | undefined {
  if (e === 'lax') return "the iwae objective's score-function sites take VIMCO's leave-one-out signals (reinforce); LAX's control variate is trained for the ELBO's per-particle mean";
  if (e === 'relax' || e === 'concrete') return `the iwae objective's discrete sites take VIMCO's leave-one-out score-function estimator (reinforce); ${e}'s control variate or relaxation is built for the ELBO's per-particle mean`;
  if (e === 'enumerate') return "the iwae objective weighs whole particles, and enumerate replaces a site's draws by its exact expectation inside one particle; use marginalize to sum the site out instead";
  return undefined;
}

export const ESTIMATOR_LABEL: Record<EstimatorKind, string> = {
  reparam: 'reparam',
  reinforce: 'REINFORCE',
  relax: 'RELAX',
  lax: 'LAX',
  concrete: 'concrete',
  enumerate: 'enumerate',
  marginalize: 'summed out',
};

interface Candidate {
  name: string;
  /** The model sites defining the latent (several for element definitions). */
  modelSites: SiteInfo[];
  guideSites: SiteInfo[];
}

function at(file: string, span: Span): string {
  return `${file}:${span.start.line}`;
}

function isEstimator(x: unknown): x is EstimatorKind {
  return typeof x === 'string' && (ESTIMATORS as readonly string[]).includes(x);
}

/** Why estimator `e` cannot apply to a site drawn from `fam` (undefined when it can). */
function inapplicable(e: EstimatorKind, fam: FamilySpec, autoContinuous: boolean): string | undefined {
  if (autoContinuous) {
    // The automatic guide of a continuous latent is one Normal over all of them, drawn pathwise.
    if (e === 'reparam') return undefined;
    if (e === 'reinforce' || e === 'lax') return `its automatic guide is a Normal in unconstrained space shared with the other continuous latents and drawn pathwise; for a score-function gradient give it an explicit guide site (guide { ${fam.name === 'Normal' ? 'x ~ Normal(m, s)' : '…'} @${e} })`;
    return `its automatic guide is a Normal in unconstrained space (${fam.name} is continuous), and ${e} needs a discrete family`;
  }
  switch (e) {
    case 'reparam':
      if (fam.discrete) return `${fam.name} is discrete, and reparam needs a continuous family with a reparameterised sampler`;
      if (!fam.reparam) return `${fam.name} has no reparameterised sampler here`;
      return undefined;
    case 'reinforce':
      return undefined;
    case 'lax':
      if (fam.discrete) return `${fam.name} is discrete, and lax is RELAX's estimator for continuous sites (use relax for a discrete one)`;
      if (!fam.reparam) return `${fam.name} has no reparameterised sampler here, and lax's control variate needs one`;
      return undefined;
    case 'relax':
    case 'concrete':
      if (!fam.discrete) return `${fam.name} is continuous, and ${e} applies to discrete sites with a continuous relaxation`;
      if (!fam.relaxable) return `${fam.name} has no continuous relaxation (only Bernoulli and Categorical do)`;
      return undefined;
    case 'enumerate':
    case 'marginalize':
      if (!fam.discrete) return `${fam.name} is continuous, and ${e} needs a discrete family with finite support`;
      if (!fam.finite) return `${fam.name} has infinite support, and ${e} needs a finite one`;
      return undefined;
  }
}

class Planner {
  readonly diagnostics: Diagnostic[] = [];
  private readonly g: Graph;
  private readonly smooth: Map<string, SmoothnessResult>;
  /** Continuous latents: whether a pathwise gradient sees every way the value reaches a cost. */
  private readonly csmooth: Map<string, SmoothnessResult>;
  private readonly file: string;

  constructor(
    private readonly p: CheckedProgram,
    private readonly opts: PlanOptions,
  ) {
    this.g = buildGraph(p);
    this.smooth = analyseSmoothness(p, this.g);
    this.csmooth = analyseContinuousSmoothness(p, this.g);
    this.file = p.file;
  }

  private report(severity: 'error' | 'warning', message: string, span: Span, hint?: string): void {
    const d: Diagnostic = { severity, code: 'estimator-override', message, file: this.file, span };
    if (hint) d.hint = hint;
    this.diagnostics.push(d);
  }

  private candidates(): Candidate[] {
    const byName = new Map<string, Candidate>();
    for (const s of this.p.sites) {
      if (s.observed || s.scope !== 'model') continue;
      let c = byName.get(s.name);
      if (!c) byName.set(s.name, (c = { name: s.name, modelSites: [], guideSites: [] }));
      c.modelSites.push(s);
    }
    for (const s of this.p.guide?.sites ?? []) byName.get(s.name)?.guideSites.push(s);
    let out = [...byName.values()];
    if (this.p.mode === 'optimisation') {
      out = out.filter((c) => [...ancestors(this.g, c.name)].some((a) => this.g.byId.get(a)?.kind === 'param'));
    }
    return out;
  }

  run(): Plan | undefined {
    const cands = this.candidates();
    const optionFor = this.optionLookup(cands);
    const entries: PlanEntry[] = [];
    for (const c of cands) {
      const e = this.entry(c, optionFor(c));
      if (e) entries.push(e);
    }
    if (this.diagnostics.some((d) => d.severity === 'error')) return undefined;
    return { entries, bySite: new Map(entries.map((e) => [e.site, e])) };
  }

  /** The option's estimator per candidate; an option naming no optimised site is an error. */
  private optionLookup(cands: Candidate[]): (c: Candidate) => EstimatorKind | undefined {
    const o = this.opts.estimator;
    if (o === undefined) return () => undefined;
    const whole = this.p.ast.span;
    if (typeof o === 'string') {
      if (!isEstimator(o)) {
        this.report('error', `unknown estimator '${String(o)}' in the estimator option (expected one of ${ESTIMATORS.join(', ')})`, whole);
        return () => undefined;
      }
      // A blanket option applies to the discrete sites (LAX's, to the continuous ones that are not
      // automatic guides); the others keep their choice.
      if (o === 'lax') return (c) => (!this.estimatorFamily(c).fam.discrete && !this.isAutoContinuous(c) ? o : undefined);
      return (c) => (this.estimatorFamily(c).fam.discrete ? o : undefined);
    }
    const names = new Set(cands.map((c) => c.name));
    for (const [k, v] of Object.entries(o)) {
      if (!isEstimator(v)) {
        this.report('error', `unknown estimator '${String(v)}' for '${k}' in the estimator option (expected one of ${ESTIMATORS.join(', ')})`, whole);
      } else if (!names.has(k)) {
        const sym = this.p.symbols.get(k);
        const why = !sym
          ? `the model has no sample site '${k}'`
          : sym.kind !== 'latent'
            ? `'${k}' is ${sym.kind === 'data' && sym.observed ? 'observed data' : `a ${sym.kind}`}, not a latent`
            : `'${k}' does not depend on any param, so nothing optimises its distribution`;
        const list = cands.map((c) => c.name).join(', ');
        this.report('error', `the estimator option names '${k}', but ${why}`, sym?.span ?? whole, list ? `optimised sites: ${list}` : undefined);
      }
    }
    return (c) => {
      const v = o[c.name];
      return isEstimator(v) ? v : undefined;
    };
  }

  /** A continuous latent under the automatic guide (inference, no guide site). */
  private isAutoContinuous(c: Candidate): boolean {
    const { fam, guide } = this.estimatorFamily(c);
    return this.p.mode !== 'optimisation' && !guide && !fam.discrete;
  }

  /** The family whose parameters get the gradient, and the site that draws it. */
  private estimatorFamily(c: Candidate): { fam: FamilySpec; site: SiteInfo; guide: boolean } {
    const inference = this.p.mode !== 'optimisation';
    const gs = inference ? c.guideSites[0] : undefined;
    if (gs) return { fam: gs.family, site: gs, guide: true };
    return { fam: c.modelSites[0]!.family, site: c.modelSites[0]!, guide: false };
  }

  private entry(c: Candidate, option: EstimatorKind | undefined): PlanEntry | undefined {
    const file = this.file;
    const inference = this.p.mode !== 'optimisation';
    const { fam, site, guide } = this.estimatorFamily(c);
    const sites = guide ? c.guideSites : c.modelSites;
    // Element definitions may use different families of one support: all must allow a choice.
    const fams = sites.map((s) => s.family);
    const relaxable = fams.every((f) => f.relaxable);
    const finite = fams.every((f) => f.finite);
    const rsample = fams.every((f) => f.reparam);
    const worst = (pred: (f: FamilySpec) => boolean): FamilySpec => fams.find((f) => !pred(f)) ?? fam;
    const autoContinuous = this.isAutoContinuous(c);
    const famWords = guide ? `${fam.name} guide site (${at(file, site.stmt.target.nameSpan)})` : fam.name;
    const where = at(file, site.stmt.target.nameSpan);
    const likelihood = inference ? 'the likelihood' : 'the cost';
    const sm = fam.discrete ? this.smooth.get(c.name) : undefined;

    // ---- the automatic choice
    let est: EstimatorKind;
    let why: string;
    let autoGuide: PlanEntry['autoGuide'];
    const cs = fam.discrete ? undefined : this.csmooth.get(c.name);
    const rough = cs && !cs.smooth && cs.firstNonSmooth ? describeNonSmooth(cs.firstNonSmooth, file) : undefined;
    if (autoContinuous) {
      est = 'reparam';
      // A declared ordered type replaces the family's transform (transforms.ts); say which.
      const constraint = this.p.symbols.get(c.name)?.constraint;
      const through = constraint === 'ordered' ? ' through the ordered transform' : constraint === 'positive-ordered' ? ' through the positive_ordered transform' : '';
      if (rough) {
        this.report(
          'warning',
          `'${c.name}' is continuous and ${rough}: ${likelihood} is piecewise constant in it there, so its pathwise gradient misses that dependence and the fit will not follow it`,
          site.stmt.target.nameSpan,
          `give '${c.name}' an explicit guide site (LAX is then chosen), or write the step smoothly (e.g. sigmoid((x - c) / 0.1) for x > c)`,
        );
      }
      if (this.opts.guide === 'fullrank') {
        autoGuide = 'fullrank';
        why = `automatic full-rank Normal guide over the continuous latents in unconstrained space${through} (${where})`;
      } else {
        autoGuide = 'advi';
        why = `automatic Normal guide in unconstrained space (ADVI)${through} (${where})`;
      }
    } else if (!fam.discrete) {
      if (rsample && rough) {
        // A pathwise gradient would be zero where the cost steps: the score function sees the step,
        // and LAX's learned control variate (a function of the pathwise draw) cuts its variance.
        if (this.opts.objective === 'iwae') {
          est = 'reinforce';
          why = `${guide ? 'guide site' : 'continuous'}, ${rough}: a pathwise gradient is zero across that step; scored with VIMCO's signals under the iwae objective (${where})`;
        } else {
          est = 'lax';
          why = `${guide ? 'guide site' : 'continuous'}, ${rough}: a pathwise gradient is zero across that step; LAX scores the draw, with a learned control variate (${where})`;
        }
      } else if (rsample) {
        est = 'reparam';
        why = `${guide ? 'guide site with' : 'continuous, with'} a reparameterised sampler (${where})`;
      } else {
        est = 'reinforce';
        why = `${worst((f) => f.reparam).name} has no reparameterised sampler here (${where})`;
      }
    } else {
      if (inference && !guide) autoGuide = 'discrete';
      const autoWords = inference && !guide ? `automatic ${fam.name} guide with free ${fam.name === 'Binomial' || fam.name === 'Geometric' || fam.name === 'Poisson' ? 'parameters' : 'logits'}; ` : '';
      if (!finite) {
        est = 'reinforce';
        why = `${autoWords}${worst((f) => f.finite).name} has infinite support (${where})`;
      } else if (!relaxable) {
        est = 'reinforce';
        why = `${autoWords}${worst((f) => f.relaxable).name} has no continuous relaxation (${where})`;
      } else if (sm && !sm.smooth && sm.firstNonSmooth) {
        est = 'reinforce';
        why = `${autoWords}${describeNonSmooth(sm.firstNonSmooth, file)}`;
      } else if (this.opts.objective === 'iwae') {
        est = 'reinforce';
        why = `${autoWords}VIMCO's leave-one-out signals under the iwae objective (RELAX would apply under the ELBO) (${where})`;
      } else {
        est = 'relax';
        why = `${autoWords}${this.smoothWords(sm, likelihood, where)}`;
      }
    }

    const entry: PlanEntry = {
      site: c.name,
      scope: guide ? 'guide' : 'model',
      family: fam.name,
      estimator: est,
      reason: `${famWords}; ${why}`,
      span: site.stmt.target.nameSpan,
    };
    if (autoGuide) entry.autoGuide = autoGuide;
    if (sm) entry.smooth = sm.smooth;

    // ---- overrides: the option wins over annotations; the guide site's annotation over the model's.
    const ann = this.annotation(c, guide);
    if (ann === null) return undefined;
    const chosen = option ?? ann?.name;
    if (chosen === undefined) return entry;
    const how: 'option' | 'annotation' = option !== undefined ? 'option' : 'annotation';
    const span = how === 'annotation' && ann ? ann.span : entry.span;
    const label = how === 'annotation' ? `@${chosen}` : `the estimator option '${chosen}'`;
    const checkFams = autoContinuous ? [fam] : fams;
    const iwae = this.opts.objective === 'iwae' ? notForIwae(chosen) : undefined;
    if (iwae) {
      this.report('error', `${label} cannot apply to '${c.name}': ${iwae}`, span);
      return undefined;
    }
    for (const f of checkFams) {
      const no = inapplicable(chosen, f, autoContinuous);
      if (no) {
        this.report('error', `${label} cannot apply to '${c.name}': ${no}`, span);
        return undefined;
      }
    }
    if ((chosen === 'relax' || chosen === 'concrete') && sm && !sm.smooth && sm.firstNonSmooth) {
      const ns = describeNonSmooth(sm.firstNonSmooth, file);
      const msg =
        chosen === 'relax'
          ? `${label} on '${c.name}': RELAX is unbiased anyway, but its control variate sees a non-smooth function (${ns}), so expect little variance reduction`
          : `${label} on '${c.name}': the concrete relaxation is biased, and here the relaxed value meets a non-smooth operation (${ns}), so its gradient may be far off`;
      this.report('warning', msg, span);
    }
    const auto = `${ESTIMATOR_LABEL[est]} would be chosen: ${why}`;
    entry.estimator = chosen;
    entry.overridden = how;
    entry.reason = `${famWords}; ${how === 'annotation' ? `@${chosen} annotation (${at(file, span)})` : `set by the estimator option`}, where ${auto}`;
    return entry;
  }

  /**
   * The annotation that applies: the guide site's when the guide draws the latent, else the
   * model site's. Element definitions with different annotations are an error (returns null).
   */
  private annotation(c: Candidate, guide: boolean): { name: EstimatorKind; span: Span } | undefined | null {
    const pick = (sites: SiteInfo[]): { name: EstimatorKind; span: Span } | undefined | null => {
      let found: { name: EstimatorKind; span: Span } | undefined;
      for (const s of sites) {
        const a = s.annotation ?? (s.stmt.dist.annotation && isEstimator(s.stmt.dist.annotation.name) ? s.stmt.dist.annotation.name : undefined);
        if (!a || !isEstimator(a)) continue;
        const span = s.stmt.dist.annotation?.span ?? s.stmt.span;
        if (found && found.name !== a) {
          this.report('error', `the elements of '${c.name}' carry different estimator annotations: @${found.name} (${at(this.file, found.span)}) and @${a}`, span, 'one latent takes one estimator; annotate one element statement, or all alike');
          return null;
        }
        found ??= { name: a, span };
      }
      return found;
    };
    if (guide) {
      const g = pick(c.guideSites);
      if (g !== undefined) return g;
    }
    return pick(c.modelSites);
  }

  private smoothWords(sm: SmoothnessResult | undefined, likelihood: string, where: string): string {
    if (!sm || !sm.smoothPath || sm.uses === 0) return `does not reach ${likelihood} at all (${where})`;
    const place = at(this.file, sm.smoothPath.span);
    if (sm.uses === 1) return `reaches ${likelihood} only through \`${sm.smoothPath.text}\` (${place})`;
    return `reaches ${likelihood} only through smooth operations, first \`${sm.smoothPath.text}\` (${place})`;
  }
}

/** The estimator plan of a checked program; errors (overrides that cannot apply) leave `plan` undefined. */
export function makePlan(p: CheckedProgram, opts: PlanOptions = {}): { plan?: Plan; diagnostics: Diagnostic[] } {
  const planner = new Planner(p, opts);
  const plan = planner.run();
  if (plan) plan.loops = analyseLoops(p);
  const warnings = planner.diagnostics.filter((d) => d.severity === 'warning');
  if (plan && warnings.length) plan.warnings = warnings;
  return plan ? { plan, diagnostics: planner.diagnostics } : { diagnostics: planner.diagnostics };
}

/** One line per site: "z: RELAX — Bernoulli; reaches the likelihood only through `z @ W` (sbn.tilde:27)". */
export function formatPlan(plan: Plan): string {
  const sites = plan.entries.length ? plan.entries.map((e) => `${e.site}: ${ESTIMATOR_LABEL[e.estimator]} — ${e.reason}`).join('\n') : '(no optimised stochastic nodes)';
  return plan.loops?.length ? `${sites}\nloops:\n${formatLoops(plan.loops)}` : sites;
}

export function planToJSON(plan: Plan): Record<string, { estimator: string; reason: string }> {
  const out: Record<string, { estimator: string; reason: string }> = {};
  for (const e of plan.entries) out[e.site] = { estimator: e.estimator, reason: e.reason };
  return out;
}
