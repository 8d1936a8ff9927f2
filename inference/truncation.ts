// Observed data outside a truncation's bounds has no density at all; rather than a fit that
// fails with "the log-density is −∞", the data are checked against the bounds, once per data
// binding and statement, and the first offending value is named with the bound it breaks.

import type { Stmt } from '../language/ast.js';
import { EvalError } from '../language/errors.js';
import { printExpr } from '../language/printer.js';
import { tf } from './backend.js';
import type { Val } from './values.js';

const checked = new WeakMap<Map<string, Val>, Map<Stmt, Set<string>>>();

export function checkTruncatedData(
  data: Map<string, Val>,
  s: Extract<Stmt, { kind: 'sample' }>,
  name: string,
  element: number[],
  value: tf.Tensor,
  lo: tf.Tensor | undefined,
  hi: tf.Tensor | undefined,
  rows?: number[][],
): void {
  let byStmt = checked.get(data);
  if (!byStmt) checked.set(data, (byStmt = new Map()));
  let done = byStmt.get(s);
  if (!done) byStmt.set(s, (done = new Set()));
  const key = element.join(',');
  if (done.has(key)) return;
  done.add(key);
  const tr = s.dist.truncation!;
  for (const [bound, side, expr] of [[lo, 'lower', tr.lo], [hi, 'upper', tr.hi]] as const) {
    if (!bound || !expr) continue;
    const found = tf.tidy(() => {
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(value.shape, bound.shape);
      const v = tf.broadcastTo(value, shape);
      const b = tf.broadcastTo(bound, shape);
      const bad = side === 'lower' ? tf.less(v, b) : tf.greater(v, b);
      const flags = bad.dataSync();
      const i = flags.findIndex((f) => f !== 0);
      if (i < 0) return undefined;
      return { i, v: v.dataSync()[i]!, b: b.dataSync()[i]!, shape: shape.slice(1) };
    });
    if (!found) continue;
    // The offending element's index in the observed array, for the message.
    let idx: number[] = [];
    let r = found.i;
    for (let k = found.shape.length - 1; k >= 0; k--) {
      idx.unshift(r % found.shape[k]!);
      r = Math.floor(r / found.shape[k]!);
    }
    if (rows) idx = [...rows[idx[0] ?? 0]!, ...idx.slice(1)];
    else idx = [...element, ...idx];
    const at = idx.length ? `${name}[${idx.join(', ')}]` : name;
    throw new EvalError(
      `observed ${at} = ${found.v} is ${side === 'lower' ? 'below' : 'above'} the truncation's ${side} bound ${printExpr(expr)} = ${found.b}: truncated data must lie inside T[…]`,
      tr.span,
    );
  }
}
