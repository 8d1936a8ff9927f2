// Translations whose posterior has mirror modes that Stan's model rules out with an `ordered`
// type (tilde has none): the fit is put in Stan's labelling before it is compared with the
// reference, as each translation's header says. Used by test/inference/reference.test.ts and
// bench/fit.ts.
import type { SummaryRow } from '../../inference/posterior.js';

type Summary = Record<string, SummaryRow>;

export const RELABEL: Record<string, (s: Summary) => Summary> = {
  // Stan: mu ordered. Swap the components when mu[0] > mu[1]; theta is component 0's weight.
  'low_dim_gauss_mix-low_dim_gauss_mix': (s) =>
    s['mu[0]']!.mean <= s['mu[1]']!.mean
      ? s
      : { ...s, 'mu[0]': s['mu[1]']!, 'mu[1]': s['mu[0]']!, 'sigma[0]': s['sigma[1]']!, 'sigma[1]': s['sigma[0]']!, theta: { ...s['theta']!, mean: 1 - s['theta']!.mean } },
};

/** The summary in the reference's labelling (unchanged for translations without mirror modes). */
export function inReferenceLabels(name: string, s: Summary): Summary {
  return RELABEL[name]?.(s) ?? s;
}
