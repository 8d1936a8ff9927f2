// Learning signals with Rao-Blackwellisation (as Pyro's TraceGraph_ELBO): the
// signal of a discrete site sums only the cost terms that depend on it — its
// graph descendants — and, along a plate dimension, only the entries of its own
// plate index, so a local latent z[n] sees its own data term and not the others'.

import type { CheckedProgram } from '../../language/checked.js';
import type { Dim } from '../../language/types.js';
import { tf } from '../backend.js';
import { buildGraph, descendants, nodeId, type Graph } from '../graph.js';
import type { Joint } from '../joint.js';

export interface SignalPlan {
  site: string;
  /** Names (model scope) whose log-density terms depend on the site, itself included. */
  dependents: Set<string>;
  /** Guide sites (by name) whose log q depends on the site, itself included. */
  guideDependents: Set<string>;
  /** Lines of the objective statements that depend on the site (optimisation mode). */
  objectiveLines: Set<number>;
  /** Position of the site's plate dimension in its shape, with the plate's name. */
  plate?: { axis: number; name: string };
}

export function planSignals(p: CheckedProgram, sites: string[], graph: Graph = buildGraph(p)): Map<string, SignalPlan> {
  const plates = new Set([...p.symbols.values()].filter((s) => s.kind === 'plate').map((s) => s.name));
  const out = new Map<string, SignalPlan>();
  for (const site of sites) {
    const start = [nodeId(site, 'model'), nodeId(site, 'guide')].filter((id) => graph.byId.has(id));
    const reach = new Set<string>(start);
    for (const id of start) for (const d of descendants(graph, id)) reach.add(d);
    const dependents = new Set<string>();
    const guideDependents = new Set<string>();
    const objectiveLines = new Set<number>();
    for (const id of reach) {
      const node = graph.byId.get(id)!;
      if (node.kind === 'cost' && node.target) dependents.add(node.id);
      else if (node.kind === 'cost' && !node.observes && node.scope === 'model') objectiveLines.add(node.span.start.line);
      if (node.kind === 'latent' || node.kind === 'observed') (node.scope === 'guide' ? guideDependents : dependents).add(node.name);
    }
    dependents.add(site);
    guideDependents.add(site);
    const shape: Dim[] = p.symbols.get(site)?.type.shape ?? [];
    const axis = shape.findIndex((d) => typeof d === 'string' && plates.has(d));
    out.set(site, { site, dependents, guideDependents, objectiveLines, plate: axis >= 0 ? { axis, name: shape[axis] as string } : undefined });
  }
  return out;
}

/** Sum a [P, ...shape] term down to [P] or, keeping one axis, [P, n]. */
function reduceKeeping(t: tf.Tensor, keepAxis: number | undefined): tf.Tensor {
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1).filter((a) => a !== keepAxis);
  return axes.length ? tf.sum(t, axes) : t;
}

/**
 * The signal of one site, shape [S] or [S, n] for a plated site (n = plate size):
 * log p of dependent model terms minus log q of dependent discrete guide draws
 * (inference), or minus the dependent objective terms (optimisation).
 *
 * Under a minibatch, a site local to the plate gets its own entry's terms unweighted (its
 * surrogate term carries the N/B once); a global site sums the local terms weighted by N/B.
 */
export function siteSignal(p: CheckedProgram, sp: SignalPlan, j: Joint, mode: 'inference' | 'optimisation'): tf.Tensor {
  const S = j.S;
  const plate = sp.plate;
  const n = plate ? plateSize(j, sp) : undefined;
  let total: tf.Tensor = plate ? tf.zeros([S, n!]) : tf.zeros([S]);
  const siteIsLocal = j.discrete.some((d) => d.name === sp.site && d.scale !== 1);
  const add = (t0: tf.Tensor, name: string | undefined, sign: 1 | -1, scale = 1) => {
    const t = siteIsLocal || scale === 1 ? t0 : tf.mul(t0, scale);
    // A term that carries the same plate keeps its entries apart; any other term counts for every entry.
    const shape = name ? p.symbols.get(name)?.type.shape : undefined;
    const axis = plate && shape ? shape.indexOf(plate.name) : -1;
    let r: tf.Tensor;
    if (plate && axis >= 0 && t.rank - 1 === shape!.length) r = reduceKeeping(t, axis + 1);
    else {
      r = reduceKeeping(t, undefined);
      if (plate) r = r.reshape([r.shape[0]!, 1]);
    }
    total = sign === 1 ? tf.add(total, r) : tf.sub(total, r);
  };
  if (mode === 'optimisation') {
    for (const o of j.objectives) if (sp.objectiveLines.has(o.span.start.line)) add(o.value, undefined, -1);
    return total;
  }
  for (const term of j.terms) if (sp.dependents.has(term.name)) add(term.value, term.name, 1, term.scale);
  for (const d of j.discrete) if (sp.guideDependents.has(d.name)) add(d.logq, d.name, -1, d.scale);
  return total;
}

function plateSize(j: Joint, sp: SignalPlan): number {
  const d = j.discrete.find((x) => x.name === sp.site);
  const v = d?.value;
  const n = v?.shape[sp.plate!.axis + 1];
  if (n === undefined) throw new Error(`internal: no plate size for '${sp.site}'`);
  return n;
}

/** Reshape a [S] or [S, n] signal so it broadcasts against a site tensor of logical rank `rank`. */
export function broadcastSignal(signal: tf.Tensor, sp: SignalPlan, rank: number): tf.Tensor {
  if (signal.rank === 1) return signal.reshape([signal.shape[0]!, ...Array(rank).fill(1)]);
  const axis = sp.plate!.axis;
  const shape = [signal.shape[0]!, ...Array(rank).fill(1)];
  shape[axis + 1] = signal.shape[1]!;
  return signal.reshape(shape);
}
