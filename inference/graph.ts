// The stochastic computation graph of a checked program, as a plain printable value.
//
// One node per name: data, params, latents, observed data and deterministic definitions,
// in both scopes (guide-scope ids are prefixed `guide:`), plus one `cost` node per
// observation statement (`cost:y@22`, the log-density term log p(y | …)) and per
// `minimize`/`maximize` (`cost:minimize@17`). Edges follow value flow: a node's parents are
// the names its value (or, for sample sites, its distribution) is computed from.
//
// What creates NO edge, on purpose:
// - loop variables are not nodes, and loop bounds (which the checker requires to be known
//   from data) give no edges to the sites inside the loop: they decide how many elements
//   there are, not what values they take;
// - declared shapes (`real[J]`) and the indices on the left of `z[t] ~ …` likewise;
// - an element definition that reads earlier elements of its own array (`z[t] ~ f(z[t-1])`)
//   gives no self-edge; the node is marked `selfDependent` instead.
// A model latent with an explicit guide site is drawn by that site: `drawnBy: 'guide:z'`,
// and `children('guide:z')` includes `z`.
//
// Pure TypeScript: no tfjs, no Node-only modules (it runs for `tilde check` and in browsers).

import type { DistExpr, Expr, Stmt } from '../language/ast.js';
import type { CheckedProgram, SymbolInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';

export type NodeKind = 'data' | 'param' | 'latent' | 'observed' | 'deterministic' | 'cost';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** The source name; for cost nodes what the term is: `log p(y)`, `minimize`, `maximize`. */
  name: string;
  scope: 'model' | 'guide';
  /** Sample sites (latent, observed): the distribution family of the first statement. */
  family?: string;
  /** Where the name is declared or first defined; for cost nodes the whole statement. */
  span: Span;
  /** Node ids, in order of first appearance in the source; no duplicates, no self-edges. */
  parents: string[];
  /** Defined element by element (`z[t] ~ …`, `d[i] = …`): the edges are the union over the statements. */
  elementwise?: boolean;
  /** Some elements are computed from other elements of the same array (`z[t] ~ Categorical(A[z[t - 1]])`). */
  selfDependent?: boolean;
  /** Model latents with an explicit guide site: the guide node that draws the value. */
  drawnBy?: string;
  /** Guide latents: the model latent whose value they draw. */
  draws?: string;
  /** Cost nodes of observations: the observed node whose log-density this is. */
  observes?: string;
  /** Cost nodes of `target +=` / `factor`: a log-density term of the model (not an objective). */
  target?: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  /** by id */
  byId: Map<string, GraphNode>;
}

/** The id of a name in a scope. */
export function nodeId(name: string, scope: 'model' | 'guide'): string {
  return scope === 'guide' ? `guide:${name}` : name;
}

/** Every `var` expression inside `e`, in source order (with repetitions). */
export function varRefs(e: Expr, out: Extract<Expr, { kind: 'var' }>[] = []): Extract<Expr, { kind: 'var' }>[] {
  switch (e.kind) {
    case 'num':
    case 'bool':
      break;
    case 'var':
      out.push(e);
      break;
    case 'unary':
      varRefs(e.arg, out);
      break;
    case 'binary':
      varRefs(e.left, out);
      varRefs(e.right, out);
      break;
    case 'if':
      varRefs(e.cond, out);
      varRefs(e.then, out);
      varRefs(e.else, out);
      break;
    case 'call':
      for (const a of e.args) varRefs(a.value, out);
      break;
    case 'index':
      varRefs(e.target, out);
      for (const it of e.items) {
        if (it.kind === 'at') varRefs(it.expr, out);
        else {
          if (it.lo) varRefs(it.lo, out);
          if (it.hi) varRefs(it.hi, out);
        }
      }
      break;
    case 'array':
      for (const x of e.elements) varRefs(x, out);
      break;
  }
  return out;
}

function distRefs(d: DistExpr): Extract<Expr, { kind: 'var' }>[] {
  const out: Extract<Expr, { kind: 'var' }>[] = [];
  for (const a of d.args) varRefs(a.value, out);
  if (d.truncation?.lo) varRefs(d.truncation.lo, out);
  if (d.truncation?.hi) varRefs(d.truncation.hi, out);
  return out;
}

/**
 * The cost node of a `target +=` / `factor` statement, `cost:target@LINE:COL`; the engine names
 * the statement's log-density term by the same id, so signals find it among a latent's descendants.
 */
export function targetTermId(span: Span): string {
  return `cost:target@${span.start.line}:${span.start.column}`;
}

class Builder {
  readonly nodes = new Map<string, GraphNode>();
  private scope: 'model' | 'guide' = 'model';
  private loops: string[] = [];
  private readonly costIds = new Set<string>();

  constructor(private readonly p: CheckedProgram) {}

  run(): Graph {
    this.stmts(this.p.ast.body);
    // Link each guide latent to the model latent it draws (the guide block may come first).
    for (const n of this.nodes.values()) {
      const m = n.scope === 'guide' && n.kind === 'latent' ? this.nodes.get(n.name) : undefined;
      if (m && m.kind === 'latent') {
        n.draws = m.id;
        m.drawnBy = n.id;
      }
    }
    const nodes = [...this.nodes.values()];
    return { nodes, byId: new Map(nodes.map((n) => [n.id, n])) };
  }

  private symbol(name: string): SymbolInfo | undefined {
    if (this.scope === 'guide') return this.p.guide?.symbols.get(name);
    return this.p.symbols.get(name);
  }

  /** The node id a name refers to here, or undefined for loop variables and unknown names. */
  private resolve(name: string): string | undefined {
    if (this.loops.includes(name)) return undefined;
    if (this.scope === 'guide') {
      if (this.p.guide?.symbols.has(name) || this.nodes.has(nodeId(name, 'guide'))) return nodeId(name, 'guide');
      const m = this.p.symbols.get(name);
      if (m && (m.kind === 'data' || m.kind === 'plate')) return name;
      return this.nodes.has(name) ? name : undefined;
    }
    if (this.p.symbols.has(name) || this.nodes.has(name)) return name;
    return undefined;
  }

  private parentsOf(refs: Extract<Expr, { kind: 'var' }>[], self?: string): { parents: string[]; selfRef: boolean } {
    const parents: string[] = [];
    let selfRef = false;
    for (const r of refs) {
      const id = this.resolve(r.name);
      if (id === undefined) continue;
      if (id === self) {
        selfRef = true;
        continue;
      }
      if (!parents.includes(id)) parents.push(id);
    }
    return { parents, selfRef };
  }

  private node(id: string, init: Omit<GraphNode, 'id' | 'parents'>): GraphNode {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, ...init, parents: [] };
      this.nodes.set(id, n);
    }
    return n;
  }

  private addParents(n: GraphNode, parents: string[]): void {
    for (const q of parents) if (!n.parents.includes(q) && q !== n.id) n.parents.push(q);
  }

  private stmts(body: Stmt[]): void {
    for (const s of body) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    const scope = this.scope;
    switch (s.kind) {
      case 'data': {
        const n = this.node(nodeId(s.name, scope), { kind: 'data', name: s.name, scope, span: s.nameSpan });
        if (s.default) this.addParents(n, this.parentsOf(varRefs(s.default), n.id).parents);
        break;
      }
      case 'plate':
        this.node(nodeId(s.name, scope), { kind: 'data', name: s.name, scope, span: s.nameSpan });
        break;
      case 'param': {
        const n = this.node(nodeId(s.name, scope), { kind: 'param', name: s.name, scope, span: s.nameSpan });
        if (s.init) this.addParents(n, this.parentsOf(varRefs(s.init), n.id).parents);
        break;
      }
      case 'assign': {
        const name = s.target.name;
        const id = nodeId(name, scope);
        const n = this.node(id, { kind: 'deterministic', name, scope, span: s.target.nameSpan });
        const { parents, selfRef } = this.parentsOf(varRefs(s.value), id);
        this.addParents(n, parents);
        if (s.target.indices.length) n.elementwise = true;
        if (selfRef) n.selfDependent = true;
        break;
      }
      case 'sample':
        this.sample(s);
        break;
      case 'for':
        // Loop bounds are data (the checker requires it) and create no edges: see the header.
        this.loops.push(s.variable);
        this.stmts(s.body);
        this.loops.pop();
        break;
      case 'objective': {
        const id = this.costId(s.direction, s.span);
        const n = this.node(id, { kind: 'cost', name: s.direction, scope, span: s.span });
        this.addParents(n, this.parentsOf(varRefs(s.expr)).parents);
        break;
      }
      case 'target': {
        const id = targetTermId(s.span);
        const n = this.node(id, { kind: 'cost', name: 'target', scope, span: s.span, target: true });
        this.addParents(n, this.parentsOf(varRefs(s.expr)).parents);
        break;
      }
      case 'guide': {
        const saved = this.loops;
        this.scope = 'guide';
        this.loops = [];
        this.stmts(s.body);
        this.scope = 'model';
        this.loops = saved;
        break;
      }
    }
  }

  private costId(what: string, span: Span): string {
    let id = `cost:${what}@${span.start.line}`;
    if (this.costIds.has(id)) id = `${id}:${span.start.column}`;
    this.costIds.add(id);
    return id;
  }

  private sample(s: Extract<Stmt, { kind: 'sample' }>): void {
    const scope = this.scope;
    const name = s.target.name;
    const id = nodeId(name, scope);
    const sym = this.symbol(name);
    const observed = scope === 'model' && sym !== undefined && sym.kind === 'data';
    const { parents, selfRef } = this.parentsOf(distRefs(s.dist), id);
    if (observed) {
      const n = this.node(id, { kind: 'observed', name, scope, span: sym.span });
      n.kind = 'observed';
      n.family ??= s.dist.family;
      this.addParents(n, parents);
      if (s.target.indices.length) n.elementwise = true;
      if (selfRef) n.selfDependent = true;
      const cost = this.node(this.costId(name, s.span), { kind: 'cost', name: `log p(${name})`, scope, span: s.span, observes: id });
      this.addParents(cost, parents);
      return;
    }
    const n = this.node(id, { kind: 'latent', name, scope, family: s.dist.family, span: s.target.nameSpan });
    this.addParents(n, parents);
    if (s.target.indices.length) n.elementwise = true;
    if (selfRef) n.selfDependent = true;
  }
}

export function buildGraph(p: CheckedProgram): Graph {
  return new Builder(p).run();
}

const childCache = new WeakMap<Graph, Map<string, string[]>>();

function childMap(g: Graph): Map<string, string[]> {
  let m = childCache.get(g);
  if (m && m.size === g.nodes.length) return m;
  m = new Map(g.nodes.map((n) => [n.id, [] as string[]]));
  for (const n of g.nodes) {
    for (const q of n.parents) m.get(q)?.push(n.id);
    if (n.drawnBy) m.get(n.drawnBy)?.push(n.id);
  }
  childCache.set(g, m);
  return m;
}

/** The nodes computed directly from `id` (and, for a guide latent, the model latent it draws). */
export function children(g: Graph, id: string): string[] {
  return [...(childMap(g).get(id) ?? [])];
}

/** Everything downstream of `id` (not `id` itself). */
export function descendants(g: Graph, id: string): Set<string> {
  const m = childMap(g);
  const out = new Set<string>();
  const stack = [...(m.get(id) ?? [])];
  while (stack.length) {
    const c = stack.pop()!;
    if (out.has(c)) continue;
    out.add(c);
    stack.push(...(m.get(c) ?? []));
  }
  out.delete(id);
  return out;
}

/** Everything upstream of `id` (not `id` itself); a model latent's guide node counts as upstream. */
export function ancestors(g: Graph, id: string): Set<string> {
  const out = new Set<string>();
  const start = g.byId.get(id);
  if (!start) return out;
  const stack = [...start.parents, ...(start.drawnBy ? [start.drawnBy] : [])];
  while (stack.length) {
    const q = stack.pop()!;
    if (out.has(q)) continue;
    out.add(q);
    const n = g.byId.get(q);
    if (n) stack.push(...n.parents, ...(n.drawnBy ? [n.drawnBy] : []));
  }
  out.delete(id);
  return out;
}

function describe(n: GraphNode): string {
  const what = n.kind === 'cost' ? `cost: ${n.name}` : n.family ? `${n.kind}, ${n.family}` : n.kind;
  const notes: string[] = [];
  if (n.elementwise) notes.push('element-wise');
  if (n.selfDependent) notes.push('elements depend on other elements');
  if (n.drawnBy) notes.push(`drawn by ${n.drawnBy}`);
  if (n.draws) notes.push(`draws ${n.draws}`);
  const arrow = n.parents.length ? ` <- ${n.parents.join(', ')}` : '';
  return `${n.id} (${what})${arrow}${notes.length ? `  [${notes.join('; ')}]` : ''}`;
}

/**
 * An indented adjacency listing, one node per line with its parents, model first then guide:
 *
 *     model:
 *       mu (latent, Normal)
 *       theta (deterministic) <- mu, tau, theta_raw
 *       cost:y@22 (cost: log p(y)) <- theta, sigma
 */
export function formatGraph(g: Graph): string {
  const lines: string[] = [];
  for (const scope of ['model', 'guide'] as const) {
    const ns = g.nodes.filter((n) => n.scope === scope);
    if (!ns.length) continue;
    lines.push(`${scope}:`);
    for (const n of ns) lines.push(`  ${describe(n)}`);
  }
  return lines.join('\n');
}

const dotShape: Record<NodeKind, string> = {
  data: 'box',
  param: 'diamond',
  latent: 'ellipse',
  observed: 'ellipse',
  deterministic: 'ellipse',
  cost: 'octagon',
};

function dotStr(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz source: shapes by kind (observed filled, deterministic dashed), the guide as a cluster. */
export function toDot(g: Graph): string {
  const nodeLine = (n: GraphNode): string => {
    const attrs = [`label=${dotStr(n.kind === 'cost' ? n.name : `${n.name}\n${n.family ? `${n.kind} ${n.family}` : n.kind}`)}`, `shape=${dotShape[n.kind]}`];
    if (n.kind === 'observed') attrs.push('style=filled', 'fillcolor=gray85');
    if (n.kind === 'deterministic') attrs.push('style=dashed');
    return `${dotStr(n.id)} [${attrs.join(', ')}];`;
  };
  const out = ['digraph tilde {', '  rankdir=TB;'];
  for (const n of g.nodes.filter((x) => x.scope === 'model')) out.push(`  ${nodeLine(n)}`);
  const guide = g.nodes.filter((x) => x.scope === 'guide');
  if (guide.length) {
    out.push('  subgraph cluster_guide {', '    label="guide";', '    style=dashed;');
    for (const n of guide) out.push(`    ${nodeLine(n)}`);
    out.push('  }');
  }
  for (const n of g.nodes) {
    for (const q of n.parents) out.push(`  ${dotStr(q)} -> ${dotStr(n.id)};`);
    if (n.drawnBy) out.push(`  ${dotStr(n.drawnBy)} -> ${dotStr(n.id)} [style=dashed];`);
  }
  out.push('}');
  return out.join('\n');
}
