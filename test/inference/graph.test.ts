import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { front, model, modelsDir } from './front.js';
import { ancestors, buildGraph, children, descendants, formatGraph, toDot, type Graph } from '../../inference/graph.js';

/** "child <- parents" for every node with parents. */
function edges(g: Graph): Record<string, string[]> {
  return Object.fromEntries(g.nodes.map((n) => [n.id, n.parents]));
}

function kinds(g: Graph): Record<string, string> {
  return Object.fromEntries(g.nodes.map((n) => [n.id, n.kind]));
}

describe('buildGraph', () => {
  it('eight schools: nodes, kinds and edges', () => {
    const g = buildGraph(model('eight_schools'));
    expect(kinds(g)).toEqual({
      J: 'data',
      y: 'observed',
      sigma: 'data',
      mu: 'latent',
      tau: 'latent',
      theta_raw: 'latent',
      theta: 'deterministic',
      'cost:y@22': 'cost',
    });
    expect(edges(g)).toEqual({
      J: [],
      y: ['theta', 'sigma'],
      sigma: [],
      mu: [],
      tau: [],
      theta_raw: [],
      theta: ['mu', 'tau', 'theta_raw'],
      'cost:y@22': ['theta', 'sigma'],
    });
    expect(g.byId.get('tau')?.family).toBe('HalfCauchy');
    expect(g.byId.get('cost:y@22')?.observes).toBe('y');
    expect(children(g, 'theta').sort()).toEqual(['cost:y@22', 'y']);
    expect([...descendants(g, 'tau')].sort()).toEqual(['cost:y@22', 'theta', 'y']);
    expect([...ancestors(g, 'cost:y@22')].sort()).toEqual(['mu', 'sigma', 'tau', 'theta', 'theta_raw']);
  });

  it('formats an indented adjacency listing', () => {
    const text = formatGraph(buildGraph(model('eight_schools')));
    expect(text).toContain('model:\n  J (data)');
    expect(text).toContain('  theta (deterministic) <- mu, tau, theta_raw');
    expect(text).toContain('  tau (latent, HalfCauchy)');
    expect(text).toContain('  cost:y@22 (cost: log p(y)) <- theta, sigma');
  });

  it('relax toy: params, latents and a minimize cost', () => {
    const g = buildGraph(model('relax_toy'));
    expect(kinds(g)).toEqual({ t: 'data', phi: 'param', b: 'latent', 'cost:minimize@17': 'cost' });
    expect(edges(g)).toMatchObject({ b: ['phi'], 'cost:minimize@17': ['t', 'b'] });
    expect(descendants(g, 'phi')).toEqual(new Set(['b', 'cost:minimize@17']));
  });

  it('sbn: guide nodes are prefixed and draw the model latent', () => {
    const g = buildGraph(model('sbn'));
    expect(g.byId.get('guide:z')).toMatchObject({ kind: 'latent', scope: 'guide', family: 'Bernoulli', parents: ['x', 'guide:V', 'guide:d'], draws: 'z' });
    expect(g.byId.get('guide:V')?.kind).toBe('param');
    expect(g.byId.get('z')?.drawnBy).toBe('guide:z');
    expect(children(g, 'guide:z')).toEqual(['z']);
    expect(descendants(g, 'guide:V').has('cost:x@28')).toBe(true);
    expect(formatGraph(g)).toContain('guide:\n  guide:V (param)');
  });

  it('hmm: element statements merge into one node without self-edges; loop variables are not nodes', () => {
    const g = buildGraph(model('hmm'));
    const z = g.byId.get('z')!;
    expect(z).toMatchObject({ kind: 'latent', family: 'Categorical', elementwise: true, selfDependent: true });
    expect(z.parents).toEqual(['K', 'A']);
    expect(g.byId.has('t')).toBe(false);
    // The loop bound T creates no edge to z.
    expect(children(g, 'T')).toEqual([]);
    expect(g.nodes.filter((n) => n.kind === 'cost').map((n) => n.id)).toEqual(['cost:y@32']);
  });

  it('one cost node per observation statement, each with its own parents', () => {
    const g = buildGraph(
      front(`data y: real[3]
mu ~ Normal(0, 1)
s ~ HalfNormal(1)
y[0] ~ Normal(mu, 1)
for i in 1..3 {
  y[i] ~ Normal(mu + y[i - 1], s)
}`),
    );
    expect(g.byId.get('y')).toMatchObject({ kind: 'observed', parents: ['mu', 's'], elementwise: true, selfDependent: true });
    expect(g.byId.get('cost:y@4')?.parents).toEqual(['mu']);
    expect(g.byId.get('cost:y@6')?.parents).toEqual(['mu', 's']);
  });

  it('toDot writes a digraph with every edge', () => {
    const dot = toDot(buildGraph(model('sbn')));
    expect(dot.startsWith('digraph tilde {')).toBe(true);
    expect(dot).toContain('"W" -> "x";');
    expect(dot).toContain('"guide:V" -> "guide:z";');
    expect(dot).toContain('"guide:z" -> "z" [style=dashed];');
    expect(dot).toContain('subgraph cluster_guide');
    expect(dot.trimEnd().endsWith('}')).toBe(true);
  });

  it('every example model builds a graph whose parents all exist', () => {
    const files = readdirSync(modelsDir).filter((f) => f.endsWith('.tilde'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const g = buildGraph(model(f.replace(/\.tilde$/, '')));
      for (const n of g.nodes) for (const q of n.parents) expect(g.byId.has(q), `${f}: ${n.id} <- ${q}`).toBe(true);
      // Every observation has a cost node.
      for (const n of g.nodes.filter((x) => x.kind === 'observed')) expect(g.nodes.some((c) => c.observes === n.id), `${f}: ${n.id}`).toBe(true);
      expect(formatGraph(g).length).toBeGreaterThan(0);
    }
  });
});
