// Shared by the front-end tests: ASTs without positions, and a fully parenthesised view of expressions.
import type { Expr } from '../../language/ast.js';

const SPAN_KEYS = new Set(['span', 'nameSpan', 'calleeSpan', 'familySpan', 'variableSpan', 'returnSpan', 'file', 'bar']);

export function stripSpans<X>(x: X): X {
  if (Array.isArray(x)) return x.map(stripSpans) as X;
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (!SPAN_KEYS.has(k) && v !== undefined) out[k] = stripSpans(v);
    return out as X;
  }
  return x;
}

/** Every compound expression in parentheses, so a test can read the tree's shape. */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return e.value === Infinity ? 'inf' : String(e.value);
    case 'bool':
      return String(e.value);
    case 'var':
      return e.name;
    case 'unary':
      return `(${e.op}${sexpr(e.arg)})`;
    case 'binary':
      return `(${sexpr(e.left)} ${e.op} ${sexpr(e.right)})`;
    case 'if':
      return `(if ${sexpr(e.cond)} then ${sexpr(e.then)} else ${sexpr(e.else)})`;
    case 'call':
      return `${e.callee}(${e.args.map((a) => (a.name ? `${a.name}=${sexpr(a.value)}` : sexpr(a.value))).join(', ')})`;
    case 'index':
      return `${sexpr(e.target)}[${e.items
        .map((i) => (i.kind === 'at' ? sexpr(i.expr) : `${i.lo ? sexpr(i.lo) : ''}:${i.hi ? sexpr(i.hi) : ''}`))
        .join(', ')}]`;
    case 'array':
      return `[${e.elements.map(sexpr).join(', ')}]`;
  }
}
