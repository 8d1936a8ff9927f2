/// <reference types="node" />
// The real context: files on disk, the engine loaded on first use, and the
// estimator plan and graph printers when this build has them.

import { writeFileSync } from 'node:fs';
import { defaultDataFile, readDataFile, readText } from '../files.js';
import type { Context, Engine, Inspectors } from './types.js';

// Specifiers in variables: the planner is written in parallel and may be absent from a build;
// a literal import would fail type checking instead of degrading to "not available".
const PLAN_MODULE = '../../inference/plan.js';
const GRAPH_MODULE = '../../inference/graph.js';

async function optional(spec: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(/* @vite-ignore */ new URL(spec, import.meta.url).href)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

let enginePromise: Promise<Engine> | undefined;

export function loadEngine(): Promise<Engine> {
  enginePromise ??= import('../../index.js').then((m) => ({
    fit: (program, warnings, options) => new m.Model(program, warnings).fit(options),
    open: (json) => m.Fit.fromJSON(json),
    defaults: m.FIT_DEFAULTS,
  }));
  return enginePromise;
}

export async function loadInspectors(): Promise<Inspectors> {
  const [plan, graph] = await Promise.all([optional(PLAN_MODULE), optional(GRAPH_MODULE)]);
  const out: Inspectors = {};
  if (plan && typeof plan['makePlan'] === 'function' && typeof plan['formatPlan'] === 'function') {
    const makePlan = plan['makePlan'] as (p: unknown) => { plan?: unknown; diagnostics: [] };
    const formatPlan = plan['formatPlan'] as (p: unknown) => string;
    out.plan = (program) => {
      const r = makePlan(program);
      return { text: r.plan === undefined ? undefined : formatPlan(r.plan), diagnostics: r.diagnostics };
    };
  }
  if (graph && typeof graph['buildGraph'] === 'function' && typeof graph['formatGraph'] === 'function') {
    const build = graph['buildGraph'] as (p: unknown) => unknown;
    const format = graph['formatGraph'] as (g: unknown) => string;
    out.graph = (program) => format(build(program));
  }
  return out;
}

export function nodeContext(): Context {
  return {
    readText,
    readData: readDataFile,
    writeText: (file, text) => writeFileSync(file, text),
    defaultDataFile,
    engine: loadEngine,
    inspectors: loadInspectors,
  };
}
