// Binds a checked program to its data: resolved sizes, data tensors, the concrete
// shape of every latent and param, and the lookup tables the interpreter needs.
// Everything here is computed once per fit, never per step.

import type { Stmt } from '../language/ast.js';
import type { CheckedProgram, SiteInfo, SymbolInfo } from '../language/checked.js';
import type { BoundData } from '../language/data.js';
import type { Constraint, Dim } from '../language/types.js';
import { tf } from './backend.js';
import { resolveShape, type RunOptions } from './evaluate.js';
import type { Val } from './values.js';

/** A latent variable (the whole array, for element sites) as the guide sees it. */
export interface LatentVar {
  name: string;
  /** Concrete shape of the whole variable. */
  shape: number[];
  /** The model's sample statements that define it (one, or several element statements). */
  sites: SiteInfo[];
  discrete: boolean;
  /** Sampled by the explicit guide block (else an automatic guide). */
  explicit: boolean;
  /** The declared constraint (ordered, positive_ordered) or the family's support as a constraint. */
  constraint: Constraint;
}

export interface ParamVar {
  name: string;
  scope: 'model' | 'guide';
  shape: number[];
  constraint: Constraint;
  symbol: SymbolInfo;
}

export interface Setup {
  program: CheckedProgram;
  sizes: Map<string, number>;
  /** Data as interpreter values: scalars as numbers, arrays as [1, ...shape] tensors (kept for the fit's lifetime). */
  dataEnv: Map<string, Val>;
  modelRun: RunOptions;
  guideRun: RunOptions;
  latents: LatentVar[];
  params: ParamVar[];
  dispose(): void;
}

function elementShapes(symbols: Map<string, SymbolInfo>): Map<string, Dim[]> {
  const out = new Map<string, Dim[]>();
  for (const s of symbols.values()) if (s.elementwise) out.set(s.name, s.type.shape);
  return out;
}

function siteTable(sites: SiteInfo[]): Map<Stmt, SiteInfo> {
  return new Map(sites.map((s) => [s.stmt as Stmt, s]));
}

export function setup(program: CheckedProgram, data: BoundData): Setup {
  const sizes = new Map(data.sizes);
  const dataEnv = new Map<string, Val>();
  const owned: tf.Tensor[] = [];
  for (const [name, arr] of data.arrays) {
    if (arr.shape.length === 0) {
      dataEnv.set(name, arr.values[0]!);
    } else {
      // Float64 values (dtype float32 names the kind, as in tfjs): the JavaScript lowering computes
      // with the data as given; the tfjs lowering rounds its constants to float32 when it uploads them.
      const t = tf.tensor(Float64Array.from(arr.values), [1, ...arr.shape], 'float32');
      owned.push(t);
      dataEnv.set(name, t);
    }
  }
  for (const [name, n] of sizes) if (!dataEnv.has(name)) dataEnv.set(name, n);

  const guideNames = new Set((program.guide?.sites ?? []).map((s) => s.name));
  const byName = new Map<string, SiteInfo[]>();
  for (const site of program.sites) {
    if (site.observed) continue;
    const list = byName.get(site.name) ?? [];
    list.push(site);
    byName.set(site.name, list);
  }
  const latents: LatentVar[] = [...byName].map(([name, sites]) => {
    const sym = program.symbols.get(name);
    return {
      name,
      shape: resolveShape(sym?.type.shape ?? sites[0]!.type.shape, sizes),
      sites,
      discrete: sites[0]!.family.discrete,
      explicit: guideNames.has(name),
      constraint: sym?.constraint ?? 'none',
    };
  });

  const params: ParamVar[] = [];
  const addParams = (symbols: Map<string, SymbolInfo>, scope: 'model' | 'guide') => {
    for (const sym of symbols.values()) {
      if (sym.kind !== 'param') continue;
      params.push({ name: sym.name, scope, shape: resolveShape(sym.type.shape, sizes), constraint: sym.constraint, symbol: sym });
    }
  };
  addParams(program.symbols, 'model');
  if (program.guide) addParams(program.guide.symbols, 'guide');

  return {
    program,
    sizes,
    dataEnv,
    modelRun: { sizes, siteOf: siteTable(program.sites), elementShapes: elementShapes(program.symbols) },
    guideRun: { sizes, siteOf: siteTable(program.guide?.sites ?? []), elementShapes: program.guide ? elementShapes(program.guide.symbols) : new Map() },
    latents,
    params,
    dispose: () => owned.forEach((t) => t.dispose()),
  };
}
