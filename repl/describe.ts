// `tilde check`'s description of a checked program: what is latent, observed,
// learned, and in which mode the engine will fit it.

import type { CheckedProgram } from '../language/checked.js';
import { showType } from '../language/types.js';

export interface Description {
  text: string;
  json: Record<string, unknown>;
}

export function describeProgram(p: CheckedProgram): Description {
  const latents = p.sites.filter((s) => !s.observed);
  const seen = new Set<string>();
  // A declared ordered type narrows the family's support (and its transform replaces the family's).
  const supportOf = (name: string, kind: string): string => {
    const c = p.symbols.get(name)?.constraint;
    return c === 'ordered' ? 'ordered' : c === 'positive-ordered' ? 'positive_ordered' : kind;
  };
  const latentRows = latents
    .filter((s) => !seen.has(s.name) && seen.add(s.name))
    .map((s) => ({ name: s.name, type: showType(s.type), family: s.family.name, support: supportOf(s.name, s.family.support.kind) }));
  const observed = [...new Set(p.sites.filter((s) => s.observed).map((s) => s.name))];
  const syms = [...p.symbols.values()];
  const params = syms.filter((s) => s.kind === 'param').map((s) => ({ name: s.name, type: showType(s.type) }));
  const plates = syms.filter((s) => s.kind === 'plate').map((s) => s.name);
  const data = syms.filter((s) => s.kind === 'data').map((s) => ({ name: s.name, type: showType(s.type) }));
  const lines = [`${p.file}: ok (${p.mode} mode)`];
  if (data.length) lines.push(`data:      ${data.map((d) => `${d.name}: ${d.type}`).join(', ')}`);
  if (plates.length) lines.push(`plates:    ${plates.join(', ')}`);
  if (params.length) lines.push(`params:    ${params.map((d) => `${d.name}: ${d.type}`).join(', ')}`);
  lines.push(`latents:   ${latentRows.length ? latentRows.map((l) => `${l.name}: ${l.type} ~ ${l.family} (${l.support})`).join(', ') : 'none'}`);
  if (observed.length) lines.push(`observed:  ${observed.join(', ')}`);
  if (p.objectives.length) lines.push(`objective: ${p.objectives.length} term${p.objectives.length > 1 ? 's' : ''}`);
  if (p.guide) lines.push(`guide:     explicit for ${[...new Set(p.guide.sites.map((s) => s.name))].join(', ')}`);
  return { text: lines.join('\n'), json: { file: p.file, mode: p.mode, data, plates, params, latents: latentRows, observed } };
}
