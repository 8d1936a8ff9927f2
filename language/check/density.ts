// The checker's log-density calls (`normal_lpdf(y | mu, sigma)`): the name against the family
// table (density-functions.ts), the `|`, the arity, and the arguments checked exactly as the
// family's arguments after `~` are (by building that distribution expression), with the value
// broadcasting against them. The result is a real scalar: the sum of the elementwise terms.

import type { Arg, DistExpr, Expr } from '../ast.js';
import { densitySignature, type DensityFunction } from '../density-functions.js';
import { broadcastShapes, showTyped } from '../shapes.js';
import type { ExprCtx, Ty } from '../scope.js';
import * as E from '../semantic-errors.js';
import type { CheckState } from './state.js';
import { dist } from './distributions.js';
import { expr } from './types.js';

export function densityCall(ck: CheckState, e: Extract<Expr, { kind: 'call' }>, fn: DensityFunction, cx: ExprCtx): Ty {
  const sig = densitySignature(fn);
  const bail = (): Ty => {
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  };
  const named = e.args.find((a) => a.name !== undefined);
  if (named) {
    ck.report(E.namedFunctionArgument(named.nameSpan ?? named.span, e.callee));
    return bail();
  }
  const given = e.args.length - 1;
  if (given !== fn.params.length) {
    ck.report(E.functionArity(e.span, e.callee, `the value and ${fn.params.length} parameter${fn.params.length === 1 ? '' : 's'}: ${sig}`, e.args.length));
    return bail();
  }
  if (!e.bar) {
    ck.report(E.densityBar(e.args[1]?.span ?? e.span, e.callee, sig));
    return bail();
  }
  const valueArg = e.args[0]!;
  const value = expr(ck, valueArg.value, cx);
  // The parameters, checked as the family's arguments after `~` would be.
  const args: Arg[] = e.args.slice(1).map((a, i) => ({ name: fn.params[i]!, nameSpan: a.span, value: a.value, span: a.span }));
  const d: DistExpr = { kind: 'dist', family: fn.family.name, familySpan: e.calleeSpan, args, span: e.span };
  const r = dist(ck, d, cx);
  if (!value || !r.value) return undefined;
  if (fn.family.discrete && value.elem === 'real' && (fn.kind === 'lpmf')) {
    ck.report(E.argumentType(valueArg.value.span, e.callee, 'the value', 'an int (a count or category)', showTyped(value.elem, value.shape)));
    return undefined;
  }
  const b = broadcastShapes(value.shape, r.value.shape);
  if (!b.ok) {
    ck.report(E.broadcastMismatch(valueArg.value.span, e.callee, ck.describe(valueArg.value, value, 'the value'), `its parameters give ${showTyped(r.value.elem, r.value.shape)}`));
    return undefined;
  }
  ck.defer(b.deferred, e.callee, e.span);
  return { elem: 'real', shape: [] };
}
