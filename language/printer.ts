// Canonical source text for an AST, with the fewest parentheses that keep the tree.
// Round trip: parse(printProgram(p)) equals p up to spans.

import type { Arg, DimExpr, DistExpr, Expr, FunDecl, IndexItem, LValue, Program, Stmt, TypeExpr } from './ast.js';

// Binding strength; higher binds tighter. Comparisons are non-associative.
const IF = 0;
const OR = 1;
const AND = 2;
const CMP = 3;
const ADD = 4;
const MUL = 5;
const UNARY = 6;
const POW = 7;
const POSTFIX = 8;
const ATOM = 9;

const BINARY_LEVEL: Record<string, number> = {
  '||': OR, '&&': AND, '<': CMP, '<=': CMP, '>': CMP, '>=': CMP, '==': CMP, '!=': CMP,
  '+': ADD, '-': ADD, '*': MUL, '/': MUL, '@': MUL, '^': POW,
};

function level(e: Expr): number {
  switch (e.kind) {
    case 'if':
      return IF;
    case 'binary':
      return BINARY_LEVEL[e.op] ?? OR;
    case 'unary':
      return UNARY;
    case 'index':
      return POSTFIX;
    default:
      return ATOM;
  }
}

function wrap(e: Expr, minLevel: number): string {
  const s = printExpr(e);
  return level(e) >= minLevel ? s : `(${s})`;
}

/** A number as a literal that reads back as the same value and the same int-ness. */
function printNumber(value: number, isInt: boolean): string {
  if (value === Infinity) return 'inf';
  if (isInt && Number.isInteger(value) && value >= 0) return BigInt(value).toString();
  const s = String(Math.abs(value));
  const literal = /[.e]/.test(s) ? s : `${s}.0`;
  return value < 0 || Object.is(value, -0) ? `(-${literal})` : literal;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return printNumber(e.value, e.isInt);
    case 'bool':
      return e.value ? 'true' : 'false';
    case 'var':
      return e.name;
    case 'unary':
      return `${e.op}${wrap(e.arg, UNARY)}`;
    case 'binary': {
      const l = BINARY_LEVEL[e.op] ?? OR;
      if (e.op === '^') return `${wrap(e.left, POSTFIX)} ^ ${wrap(e.right, UNARY)}`;
      if (l === CMP) return `${wrap(e.left, CMP + 1)} ${e.op} ${wrap(e.right, CMP + 1)}`;
      return `${wrap(e.left, l)} ${e.op} ${wrap(e.right, l + 1)}`;
    }
    case 'if':
      return `if ${printExpr(e.cond)} then ${printExpr(e.then)} else ${printExpr(e.else)}`;
    case 'call':
      if (e.bar && e.args.length > 1) return `${e.callee}(${printArgs(e.args.slice(0, 1))} | ${printArgs(e.args.slice(1))})`;
      return `${e.callee}(${printArgs(e.args)})`;
    case 'index':
      return `${wrap(e.target, POSTFIX)}[${e.items.map(printIndexItem).join(', ')}]`;
    case 'array':
      return `[${e.elements.map(printExpr).join(', ')}]`;
  }
}

function printIndexItem(item: IndexItem): string {
  if (item.kind === 'at') return printExpr(item.expr);
  return `${item.lo ? printExpr(item.lo) : ''}:${item.hi ? printExpr(item.hi) : ''}`;
}

function printArgs(args: Arg[]): string {
  return args.map((a) => (a.name !== undefined ? `${a.name} = ${printExpr(a.value)}` : printExpr(a.value))).join(', ');
}

function printDim(d: DimExpr): string {
  return d.kind === 'dimLit' ? String(d.value) : d.name;
}

export function printType(t: TypeExpr): string {
  const base = t.alias ?? t.base;
  return t.dims.length ? `${base}[${t.dims.map(printDim).join(', ')}]` : base;
}

function printLValue(lv: LValue): string {
  return lv.indices.length ? `${lv.name}[${lv.indices.map(printExpr).join(', ')}]` : lv.name;
}

export function printDist(d: DistExpr): string {
  let base = `${d.family}(${printArgs(d.args)})`;
  if (d.truncation) base += ` T[${d.truncation.lo ? printExpr(d.truncation.lo) : ''}, ${d.truncation.hi ? printExpr(d.truncation.hi) : ''}]`;
  return d.annotation ? `${base} @${d.annotation.name}` : base;
}

function printBlock(body: Stmt[], indent: string): string {
  if (body.length === 0) return '{}';
  const inner = body.map((s) => printStmt(s, `${indent}  `)).join('\n');
  return `{\n${inner}\n${indent}}`;
}

/** One statement on its own line(s), prefixed by `indent`. */
export function printStmt(s: Stmt, indent = ''): string {
  switch (s.kind) {
    case 'data':
      return `${indent}data ${s.name}: ${printType(s.type)}${s.default ? ` = ${printExpr(s.default)}` : ''}`;
    case 'param':
      return `${indent}param ${s.name}: ${printType(s.type)}${s.init ? ` = ${printExpr(s.init)}` : ''}`;
    case 'plate':
      return `${indent}plate ${s.name}`;
    case 'assign':
      return `${indent}${printLValue(s.target)} = ${printExpr(s.value)}`;
    case 'sample':
      return `${indent}${printLValue(s.target)}${s.type ? `: ${printType(s.type)}` : ''} ~ ${printDist(s.dist)}`;
    case 'for':
      return `${indent}for ${s.variable} in ${printExpr(s.from)}..${printExpr(s.to)} ${printBlock(s.body, indent)}`;
    case 'objective':
      return `${indent}${s.direction} ${printExpr(s.expr)}`;
    case 'guide':
      return `${indent}guide ${printBlock(s.body, indent)}`;
    case 'target':
      return s.form === 'factor' ? `${indent}factor(${printExpr(s.expr)})` : `${indent}target += ${printExpr(s.expr)}`;
  }
}

/** A function declaration; its parameters on one line, its body indented like a block. */
export function printFunction(f: FunDecl, indent = ''): string {
  const params = f.params.map((p) => `${p.name}: ${printType(p.type)}`).join(', ');
  const inner = [...f.body.map((s) => printStmt(s, `${indent}  `)), `${indent}  return ${printExpr(f.result)}`].join('\n');
  return `${indent}fun ${f.name}(${params}): ${printType(f.returns)} {\n${inner}\n${indent}}`;
}

/** Functions first (they may stand anywhere at the top level, so their place carries no meaning), then the statements. */
export function printProgram(p: Program): string {
  const lines = [...(p.functions ?? []).map((f) => printFunction(f)), ...p.body.map((s) => printStmt(s))];
  return lines.join('\n') + (lines.length ? '\n' : '');
}
