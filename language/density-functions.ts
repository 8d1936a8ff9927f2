// The log-density functions, Stan-style, derived from the family table: for every family with
// stem s (FamilySpec.stem, by default the snake_case name) there is s_lpdf (continuous) or s_lpmf
// (discrete), and s_lcdf, s_lccdf, s_cdf where the engine has the CDF. A family with a `logits`
// alternative also has s_logit_lpmf, taking logits in that slot (bernoulli_logit_lpmf,
// categorical_logit_lpmf, binomial_logit_lpmf). A family added to the table gets its functions
// with no change here.

import { FAMILIES, familyStem, type FamilySpec } from './distributions.js';

export type DensityKind = 'lpdf' | 'lpmf' | 'lcdf' | 'lccdf' | 'cdf';

export interface DensityFunction {
  name: string;
  family: FamilySpec;
  kind: DensityKind;
  /** `_logit_` variant: the probs | logits slot takes logits. */
  logits: boolean;
  /** The canonical parameter names taken after the value, in order. */
  params: string[];
}

const SUFFIX = /_(lpdf|lpmf|lcdf|lccdf|cdf)$/;

function slotNames(f: FamilySpec, logits: boolean): string[] {
  const out: string[] = [];
  for (const p of f.params) {
    const g = f.oneOf?.find((grp) => grp.includes(p.name));
    if (!g) out.push(p.name);
    else if (logits ? p.name === 'logits' : p.name === g[0]) out.push(p.name);
  }
  return out;
}

function kindsOf(f: FamilySpec): DensityKind[] {
  return [f.discrete ? 'lpmf' : 'lpdf', ...(f.cdf ? (['lcdf', 'lccdf', 'cdf'] as const) : [])];
}

/** Every valid density function name (for did-you-mean and docs). */
export const DENSITY_FUNCTION_NAMES: readonly string[] = FAMILIES.flatMap((f) => {
  const stem = familyStem(f);
  const hasLogits = f.params.some((p) => p.name === 'logits');
  return kindsOf(f).flatMap((k) => [`${stem}_${k}`, ...(hasLogits && (k === 'lpmf' || k === 'lpdf') ? [`${stem}_logit_${k}`] : [])]);
});

export type DensityLookup =
  | { ok: true; fn: DensityFunction }
  /** Looks like a density function but is not one; `message` says why. */
  | { ok: false; message: string };

/** Resolve a callee name; undefined when it does not end in a density suffix. */
export function densityFunction(name: string): DensityLookup | undefined {
  const m = SUFFIX.exec(name);
  if (!m) return undefined;
  const kind = m[1] as DensityKind;
  let stem = name.slice(0, m.index);
  let logits = false;
  let fam = FAMILIES.find((f) => familyStem(f) === stem);
  if (!fam && stem.endsWith('_logit')) {
    const base = FAMILIES.find((f) => familyStem(f) === stem.slice(0, -'_logit'.length));
    if (base) {
      if (!base.params.some((p) => p.name === 'logits')) return { ok: false, message: `${base.name} has no logits parameter, so there is no '${name}'; use ${familyStem(base)}_${kind}` };
      fam = base;
      logits = true;
      stem = familyStem(base);
    }
  }
  if (!fam) return { ok: false, message: '' };
  if (kind === 'lpmf' && !fam.discrete) return { ok: false, message: `${fam.name} is continuous: its log density is ${stem}_lpdf, not ${stem}_lpmf` };
  if (kind === 'lpdf' && fam.discrete) return { ok: false, message: `${fam.name} is discrete: its log mass is ${stem}${logits ? '_logit' : ''}_lpmf, not _lpdf` };
  if ((kind === 'lcdf' || kind === 'lccdf' || kind === 'cdf') && logits) return { ok: false, message: `there is no '${name}': the _logit_ variants are log densities only` };
  if ((kind === 'lcdf' || kind === 'lccdf' || kind === 'cdf') && !fam.cdf) {
    const with_ = FAMILIES.filter((f) => f.cdf).map((f) => f.name).join(', ');
    return { ok: false, message: `the engine has no CDF for ${fam.name}, so '${name}' does not exist (CDFs exist for ${with_})` };
  }
  return { ok: true, fn: { name, family: fam, kind, logits, params: slotNames(fam, logits) } };
}

/** How the function is called, for messages: `normal_lpdf(y | loc, scale)`. */
export function densitySignature(fn: DensityFunction): string {
  return `${fn.name}(y | ${fn.params.join(', ')})`;
}
