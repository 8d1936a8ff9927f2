// The CST visitor that turns Chevrotain's concrete syntax tree into the AST of ast.ts,
// with a span on every node. It also reports the syntax errors the grammar deliberately
// lets through so the message can be precise: chained comparisons, misspelt type names,
// non-integer dimensions, and lines that are not statements.

import type { CstNode, IToken } from 'chevrotain';
import type { Arg, BaseType, DimExpr, DistExpr, Expr, FunDecl, FunParam, IndexItem, LValue, Program, Stmt, TypeExpr, BinaryOp, UnaryOp } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { tildeParser } from './parser.js';
import { printExpr } from './printer.js';
import { spanCover, type Span } from './span.js';
import * as E from './syntax-errors.js';
import { ALL_TYPE_NAMES, TYPE_ALIASES } from './tokens.js';

type CstChildren = Record<string, (CstNode | IToken)[] | undefined>;

/** Thrown when a CST node is missing parts because the parser recovered from an error inside it. */
class Incomplete {}
const INCOMPLETE = new Incomplete();

function tokenAt(ctx: CstChildren, key: string, i = 0): IToken | undefined {
  const t = ctx[key]?.[i];
  return t !== undefined && !('children' in t) && !t.isInsertedInRecovery ? t : undefined;
}

function nodeAt(ctx: CstChildren, key: string, i = 0): CstNode | undefined {
  const n = ctx[key]?.[i];
  return n !== undefined && 'children' in n ? n : undefined;
}

function need<X>(x: X | undefined): X {
  if (x === undefined) throw INCOMPLETE;
  return x;
}

function nodes(ctx: CstChildren, key: string): CstNode[] {
  return (ctx[key] ?? []).filter((n): n is CstNode => 'children' in n);
}

function tokens(ctx: CstChildren, key: string): IToken[] {
  return (ctx[key] ?? []).filter((t): t is IToken => !('children' in t));
}

function span(t: IToken): Span {
  if (t.isInsertedInRecovery || !Number.isFinite(t.startOffset)) throw INCOMPLETE;
  return E.tokenSpan(t);
}

const BaseVisitor = tildeParser().getBaseCstVisitorConstructor();

/** `return EXPR` as the builder meets it; only a function body keeps it (as FunDecl.result). */
interface ReturnItem {
  kind: 'return';
  expr: Expr;
  span: Span;
}

/** Where statements are being built: functions stand only at the top, `return` only in a function. */
type Place = 'top' | 'for' | 'guide' | 'fun';
const PLACE_WORDS: Record<Place, string> = { top: 'the program', for: 'a for loop', guide: 'the guide block', fun: 'a function body' };

const COMPARISON = 3;
const PRECEDENCE: Record<string, number> = {
  '||': 1, '&&': 2, '<': COMPARISON, '<=': COMPARISON, '>': COMPARISON, '>=': COMPARISON, '==': COMPARISON, '!=': COMPARISON,
  '+': 4, '-': 4, '*': 5, '/': 5, '@': 5,
};

export class AstBuilder extends BaseVisitor {
  diagnostics: Diagnostic[] = [];
  /** Statements left out because the parser recovered from an error inside them. */
  dropped = 0;
  functions: FunDecl[] = [];
  private place: Place = 'top';

  constructor() {
    super();
    this.validateVisitor();
  }

  private sub<X>(n: CstNode | undefined): X {
    return this.visit(need(n)) as X;
  }

  private statementsOf(ctx: CstChildren): (Stmt | ReturnItem)[] {
    const out: (Stmt | ReturnItem)[] = [];
    for (const line of nodes(ctx, 'statementLine')) {
      const s = this.statementLine(line.children);
      if (s === undefined) continue;
      if (s.kind === 'fun') {
        if (this.place === 'top') this.functions.push(s);
        else this.diagnostics.push(E.misplacedFunction(s.nameSpan, PLACE_WORDS[this.place]));
      } else if (s.kind === 'return' && this.place !== 'fun') this.diagnostics.push(E.misplacedReturn(s.span));
      else out.push(s);
    }
    for (const junk of nodes(ctx, 'junkLine')) this.junkLine(junk.children);
    for (const brace of tokens(ctx, 'strayBrace')) this.diagnostics.push(E.unmatchedCloser(span(brace), '}'));
    return out;
  }

  /** Statements outside function bodies: a `return` there was reported and dropped. */
  private plain(items: (Stmt | ReturnItem)[]): Stmt[] {
    return items.filter((s): s is Stmt => s.kind !== 'return');
  }

  program(ctx: CstChildren): Stmt[] {
    return this.plain(this.statementsOf(ctx));
  }

  block(ctx: CstChildren): { body: Stmt[]; close: IToken } {
    const body = this.plain(this.statementsOf(ctx));
    return { body, close: need(tokenAt(ctx, 'RBrace')) };
  }

  /** The block of a `for`, a guide or a function, built with `place` set so misplaced statements are caught. */
  private blockIn(place: Place, n: CstNode | undefined): { items: (Stmt | ReturnItem)[]; close: IToken } {
    const outer = this.place;
    this.place = place;
    try {
      const ctx = need(n).children;
      const items = this.statementsOf(ctx);
      return { items, close: need(tokenAt(ctx, 'RBrace')) };
    } finally {
      this.place = outer;
    }
  }

  statementLine(ctx: CstChildren): Stmt | FunDecl | ReturnItem | undefined {
    try {
      return this.sub<Stmt | FunDecl | ReturnItem>(nodeAt(ctx, 'statement'));
    } catch (e) {
      if (e !== INCOMPLETE) throw e;
      this.dropped++;
      return undefined;
    }
  }

  junkLine(ctx: CstChildren): void {
    const first = tokenAt(ctx, 'Junk');
    if (first === undefined) return;
    if (first.image === ')' || first.image === ']') this.diagnostics.push(E.unmatchedCloser(span(first), first.image));
    else this.diagnostics.push(E.expectedStatement(span(first), E.describeFound(first)));
  }

  statement(ctx: CstChildren): Stmt {
    const child = Object.values(ctx)[0]?.[0];
    if (child === undefined || !('children' in child)) throw INCOMPLETE;
    return this.visit(child) as Stmt;
  }

  private declaration(ctx: CstChildren, keyword: string): { name: string; nameSpan: Span; type: TypeExpr; value?: Expr; span: Span } {
    const kw = need(tokenAt(ctx, keyword));
    const name = need(tokenAt(ctx, 'Identifier'));
    const type = this.sub<TypeExpr>(nodeAt(ctx, 'typeExpr'));
    const valueNode = nodeAt(ctx, 'expression');
    if (tokenAt(ctx, 'Equals') !== undefined || ctx.Equals?.length) need(valueNode);
    const value = valueNode ? this.sub<Expr>(valueNode) : undefined;
    return { name: name.image, nameSpan: span(name), type, value, span: spanCover(span(kw), (value ?? type).span) };
  }

  dataDecl(ctx: CstChildren): Stmt {
    const d = this.declaration(ctx, 'Data');
    const s: Stmt = { kind: 'data', name: d.name, nameSpan: d.nameSpan, type: d.type, span: d.span };
    if (d.value !== undefined) s.default = d.value;
    return s;
  }

  paramDecl(ctx: CstChildren): Stmt {
    const d = this.declaration(ctx, 'Param');
    const s: Stmt = { kind: 'param', name: d.name, nameSpan: d.nameSpan, type: d.type, span: d.span };
    if (d.value !== undefined) s.init = d.value;
    return s;
  }

  plateDecl(ctx: CstChildren): Stmt {
    const kw = need(tokenAt(ctx, 'Plate'));
    const name = need(tokenAt(ctx, 'Identifier'));
    return { kind: 'plate', name: name.image, nameSpan: span(name), span: spanCover(span(kw), span(name)) };
  }

  forStmt(ctx: CstChildren): Stmt {
    const kw = need(tokenAt(ctx, 'For'));
    const v = need(tokenAt(ctx, 'Identifier'));
    const from = this.sub<Expr>(nodeAt(ctx, 'from'));
    const to = this.sub<Expr>(nodeAt(ctx, 'to'));
    const block = this.blockIn('for', nodeAt(ctx, 'block'));
    return { kind: 'for', variable: v.image, variableSpan: span(v), from, to, body: this.plain(block.items), span: spanCover(span(kw), span(block.close)) };
  }

  objective(ctx: CstChildren): Stmt {
    const kw = need(tokenAt(ctx, 'Minimize') ?? tokenAt(ctx, 'Maximize'));
    const expr = this.sub<Expr>(nodeAt(ctx, 'expression'));
    return { kind: 'objective', direction: kw.image === 'minimize' ? 'minimize' : 'maximize', expr, span: spanCover(span(kw), expr.span) };
  }

  guideBlock(ctx: CstChildren): Stmt {
    const kw = need(tokenAt(ctx, 'Guide'));
    const block = this.blockIn('guide', nodeAt(ctx, 'block'));
    return { kind: 'guide', body: this.plain(block.items), span: spanCover(span(kw), span(block.close)) };
  }

  funDecl(ctx: CstChildren): FunDecl {
    const kw = need(tokenAt(ctx, 'Fun'));
    const name = need(tokenAt(ctx, 'Identifier'));
    const params = nodes(ctx, 'funParam').map((n) => this.sub<FunParam>(n));
    if (params.length > 0 && params.length !== (ctx.Comma?.length ?? 0) + 1) throw INCOMPLETE;
    need(tokenAt(ctx, 'RParen'));
    const returns = this.sub<TypeExpr>(nodeAt(ctx, 'typeExpr'));
    const block = this.blockIn('fun', nodeAt(ctx, 'block'));
    const whole = spanCover(span(kw), span(block.close));
    const at = block.items.findIndex((s) => s.kind === 'return');
    const ret = block.items[at];
    if (ret === undefined || ret.kind !== 'return') {
      this.diagnostics.push(E.missingReturn(span(name), name.image));
      throw INCOMPLETE;
    }
    const after = block.items[at + 1];
    if (after !== undefined) this.diagnostics.push(E.afterReturn(after.span));
    const body = block.items.slice(0, at).filter((s): s is Stmt => s.kind !== 'return');
    return { kind: 'fun', name: name.image, nameSpan: span(name), params, returns, body, result: ret.expr, returnSpan: ret.span, span: whole };
  }

  funParam(ctx: CstChildren): FunParam {
    const name = need(tokenAt(ctx, 'Identifier'));
    const type = this.sub<TypeExpr>(nodeAt(ctx, 'typeExpr'));
    return { name: name.image, nameSpan: span(name), type, span: spanCover(span(name), type.span) };
  }

  returnStmt(ctx: CstChildren): ReturnItem {
    const kw = need(tokenAt(ctx, 'Return'));
    const expr = this.sub<Expr>(nodeAt(ctx, 'expression'));
    return { kind: 'return', expr, span: spanCover(span(kw), expr.span) };
  }

  definition(ctx: CstChildren): Stmt {
    const target = this.sub<LValue>(nodeAt(ctx, 'lvalue'));
    if (ctx.PlusEquals?.length) {
      const op = need(tokenAt(ctx, 'PlusEquals'));
      const value = this.sub<Expr>(nodeAt(ctx, 'expression'));
      if (target.name !== 'target' || target.indices.length) {
        this.diagnostics.push(E.plusEqualsNotTarget(spanCover(target.span, span(op)), this.lvalueText(target)));
        throw INCOMPLETE;
      }
      return { kind: 'target', form: 'target', expr: value, span: spanCover(target.span, value.span) };
    }
    if (ctx.LParen?.length) {
      const open = need(tokenAt(ctx, 'LParen'));
      const value = this.sub<Expr>(nodeAt(ctx, 'expression'));
      const close = need(tokenAt(ctx, 'RParen'));
      if (target.name !== 'factor' || target.indices.length) {
        this.diagnostics.push(E.expectedDefinition(span(open), target.name, "'('"));
        throw INCOMPLETE;
      }
      return { kind: 'target', form: 'factor', expr: value, span: spanCover(target.span, span(close)) };
    }
    if (ctx.Equals?.length) {
      const value = this.sub<Expr>(nodeAt(ctx, 'expression'));
      return { kind: 'assign', target, value, span: spanCover(target.span, value.span) };
    }
    const typeNode = nodeAt(ctx, 'typeExpr');
    const type = typeNode ? this.sub<TypeExpr>(typeNode) : undefined;
    const dist = this.sub<DistExpr>(nodeAt(ctx, 'distribution'));
    const s: Stmt = { kind: 'sample', target, dist, span: spanCover(target.span, dist.span) };
    if (type !== undefined) s.type = type;
    return s;
  }

  private lvalueText(lv: LValue): string {
    return lv.indices.length ? `${lv.name}[${lv.indices.map(printExpr).join(', ')}]` : lv.name;
  }

  lvalue(ctx: CstChildren): LValue {
    const name = need(tokenAt(ctx, 'Identifier'));
    const indices = nodes(ctx, 'expression').map((n) => this.sub<Expr>(n));
    let s = span(name);
    if (ctx.LBracket?.length) {
      if (indices.length === 0 || indices.length !== (ctx.Comma?.length ?? 0) + 1) throw INCOMPLETE;
      s = spanCover(s, span(need(tokenAt(ctx, 'RBracket'))));
    }
    return { name: name.image, nameSpan: span(name), indices, span: s };
  }

  typeExpr(ctx: CstChildren): TypeExpr {
    const baseTok = need(tokenAt(ctx, 'TypeName') ?? tokenAt(ctx, 'Identifier'));
    const aliasRank = TYPE_ALIASES[baseTok.image];
    if (!ALL_TYPE_NAMES.includes(baseTok.image) && aliasRank === undefined) {
      this.diagnostics.push(E.expectedType(span(baseTok), `'${baseTok.image}'`, E.suggest(baseTok.image, [...ALL_TYPE_NAMES, ...Object.keys(TYPE_ALIASES)])));
      throw INCOMPLETE;
    }
    const dims = nodes(ctx, 'dim').map((n) => this.sub<DimExpr>(n));
    let s = span(baseTok);
    if (ctx.LBracket?.length) {
      if (dims.length === 0 || dims.length !== (ctx.Comma?.length ?? 0) + 1) throw INCOMPLETE;
      s = spanCover(s, span(need(tokenAt(ctx, 'RBracket'))));
    }
    if (aliasRank !== undefined) {
      // vector[N], row_vector[N] and matrix[N, K] are real arrays of that rank.
      if (dims.length !== aliasRank) {
        this.diagnostics.push(E.aliasRank(s, baseTok.image, dims.length));
        throw INCOMPLETE;
      }
      return { kind: 'type', base: 'real', dims, span: s, alias: baseTok.image };
    }
    return { kind: 'type', base: baseTok.image as BaseType, dims, span: s };
  }

  dim(ctx: CstChildren): DimExpr {
    const name = tokenAt(ctx, 'Identifier');
    if (name !== undefined) return { kind: 'dimName', name: name.image, span: span(name) };
    const num = need(tokenAt(ctx, 'Num'));
    if (!/^\d+$/.test(num.image)) {
      this.diagnostics.push(E.expectedDimension(span(num), `'${num.image}'`));
      throw INCOMPLETE;
    }
    return { kind: 'dimLit', value: Number(num.image), span: span(num) };
  }

  distribution(ctx: CstChildren): DistExpr {
    const family = need(tokenAt(ctx, 'family'));
    const argsNode = nodeAt(ctx, 'argList');
    const args = argsNode ? this.sub<Arg[]>(argsNode) : [];
    const close = need(tokenAt(ctx, 'RParen'));
    if (argsNode) this.refuseBar(argsNode, `the arguments of ${family.image}`);
    const d: DistExpr = { kind: 'dist', family: family.image, familySpan: span(family), args, span: spanCover(span(family), span(close)) };
    if (ctx.truncT?.length) {
      const t = need(tokenAt(ctx, 'truncT'));
      const lo = nodeAt(ctx, 'truncLo');
      const hi = nodeAt(ctx, 'truncHi');
      const tr: NonNullable<DistExpr['truncation']> = { span: spanCover(span(t), span(need(tokenAt(ctx, 'RBracket')))) };
      if (lo) tr.lo = this.sub<Expr>(lo);
      if (hi) tr.hi = this.sub<Expr>(hi);
      if (!lo && !hi) this.diagnostics.push(E.emptyTruncation(tr.span));
      d.truncation = tr;
      d.span = spanCover(d.span, tr.span);
    }
    if (ctx.At?.length) {
      const est = need(tokenAt(ctx, 'estimator'));
      d.annotation = { name: est.image, span: spanCover(span(need(tokenAt(ctx, 'At'))), span(est)) };
      d.span = spanCover(d.span, span(est));
    }
    return d;
  }

  argList(ctx: CstChildren): Arg[] {
    const args = nodes(ctx, 'arg').map((n) => this.sub<Arg>(n));
    if (args.length !== (ctx.Comma?.length ?? 0) + (ctx.Bar?.length ?? 0) + 1) throw INCOMPLETE;
    return args;
  }

  /** The '|' of an argument list, which must stand right after the first argument; undefined without one. */
  private barOf(argsNode: CstNode): Span | undefined {
    const bars = tokens(argsNode.children, 'Bar');
    if (!bars.length) return undefined;
    for (const b of bars) {
      if (b !== bars[0] || tokens(argsNode.children, 'Comma').some((c) => c.startOffset < b.startOffset)) {
        this.diagnostics.push(E.misplacedBar(span(b), "'|' comes right after the first argument (the value): normal_lpdf(y | mu, sigma)"));
        throw INCOMPLETE;
      }
    }
    return span(bars[0]!);
  }

  private refuseBar(argsNode: CstNode, where: string): void {
    const b = tokens(argsNode.children, 'Bar')[0];
    if (b === undefined) return;
    this.diagnostics.push(E.misplacedBar(span(b), `'|' cannot separate ${where}; it belongs in log-density calls such as normal_lpdf(y | mu, sigma)`));
    throw INCOMPLETE;
  }

  arg(ctx: CstChildren): Arg {
    const value = this.sub<Expr>(nodeAt(ctx, 'expression'));
    const name = tokenAt(ctx, 'argName');
    if (ctx.argName?.length && name === undefined) throw INCOMPLETE;
    if (name === undefined) return { value, span: value.span };
    return { name: name.image, nameSpan: span(name), value, span: spanCover(span(name), value.span) };
  }

  expression(ctx: CstChildren): Expr {
    return this.sub<Expr>(nodeAt(ctx, 'ifExpr') ?? nodeAt(ctx, 'binaryExpr'));
  }

  ifExpr(ctx: CstChildren): Expr {
    const kw = need(tokenAt(ctx, 'If'));
    const cond = this.sub<Expr>(nodeAt(ctx, 'cond'));
    const then = this.sub<Expr>(nodeAt(ctx, 'then'));
    const otherwise = this.sub<Expr>(nodeAt(ctx, 'else'));
    return { kind: 'if', cond, then, else: otherwise, span: spanCover(span(kw), otherwise.span) };
  }

  /** Nests a flat `a op b op c …` by precedence (precedence climbing), all levels left-associative. */
  binaryExpr(ctx: CstChildren): Expr {
    const operands = nodes(ctx, 'operands').map((n) => this.sub<Expr>(n));
    const ops = tokens(ctx, 'ops');
    if (operands.length === 0 || operands.length !== ops.length + 1) throw INCOMPLETE;
    // Comparisons built in this chain (not parenthesised ones): a second comparison on top of one is a chain.
    const comparisons = new Set<Expr>();
    let next = 0;
    const climb = (minLevel: number): Expr => {
      let left = operands[next++]!;
      while (next - 1 < ops.length && PRECEDENCE[ops[next - 1]!.image]! >= minLevel) {
        const op = ops[next - 1]!;
        const level = PRECEDENCE[op.image]!;
        const right = climb(level + 1);
        if (level === COMPARISON && comparisons.has(left)) this.chainedComparison(left, op, right);
        left = { kind: 'binary', op: op.image as BinaryOp, left, right, span: spanCover(left.span, right.span) };
        if (level === COMPARISON) comparisons.add(left);
      }
      return left;
    };
    return climb(0);
  }

  private chainedComparison(first: Expr, op: IToken, right: Expr): void {
    if (first.kind !== 'binary') return;
    const texts = [first.left, first.right, right].map(printExpr);
    const [a, b, c] = texts.some((t) => t.length > 16) ? ['a', 'b', 'c'] : texts;
    this.diagnostics.push(E.chainedComparison(span(op), op.image, `(${a} ${first.op} ${b}) && (${b} ${op.image} ${c})`));
  }

  /** Prefix operators apply last: `-x ^ 2` is `-(x ^ 2)`, `-x[0]` is `-(x[0])`. */
  operand(ctx: CstChildren): Expr {
    let acc = this.sub<Expr>(nodeAt(ctx, 'primary'));
    for (const suffix of nodes(ctx, 'indexSuffix')) {
      const { items, close } = this.indexSuffix(suffix.children);
      acc = { kind: 'index', target: acc, items, span: spanCover(acc.span, span(close)) };
    }
    if (ctx.Caret?.length) {
      const caret = need(tokenAt(ctx, 'Caret'));
      const exponent = this.sub<Expr>(nodeAt(ctx, 'exponent'));
      acc = { kind: 'binary', op: caret.image as BinaryOp, left: acc, right: exponent, span: spanCover(acc.span, exponent.span) };
    }
    const prefix = ctx.prefix ?? [];
    for (let i = prefix.length - 1; i >= 0; i--) {
      const op = prefix[i]!;
      if ('children' in op) throw INCOMPLETE;
      acc = { kind: 'unary', op: op.image as UnaryOp, arg: acc, span: spanCover(span(op), acc.span) };
    }
    return acc;
  }

  indexSuffix(ctx: CstChildren): { items: IndexItem[]; close: IToken } {
    const items = nodes(ctx, 'indexItem').map((n) => this.sub<IndexItem>(n));
    if (items.length === 0 || items.length !== (ctx.Comma?.length ?? 0) + 1) throw INCOMPLETE;
    return { items, close: need(tokenAt(ctx, 'RBracket')) };
  }

  indexItem(ctx: CstChildren): IndexItem {
    const loNode = nodeAt(ctx, 'lo');
    const hiNode = nodeAt(ctx, 'hi');
    const lo = loNode ? this.sub<Expr>(loNode) : undefined;
    const hi = hiNode ? this.sub<Expr>(hiNode) : undefined;
    const colon = tokenAt(ctx, 'Colon');
    if (colon === undefined) {
      if (ctx.Colon?.length) throw INCOMPLETE;
      return { kind: 'at', expr: need(lo), span: need(lo).span };
    }
    let s = span(colon);
    if (lo) s = spanCover(s, lo.span);
    if (hi) s = spanCover(s, hi.span);
    const item: IndexItem = { kind: 'slice', span: s };
    if (lo) item.lo = lo;
    if (hi) item.hi = hi;
    return item;
  }

  primary(ctx: CstChildren): Expr {
    const num = tokenAt(ctx, 'NumberLit');
    if (num !== undefined) {
      const isInt = /^\d+$/.test(num.image);
      return { kind: 'num', value: num.image === 'inf' ? Infinity : Number(num.image), isInt, span: span(num) };
    }
    const b = tokenAt(ctx, 'BoolLit');
    if (b !== undefined) return { kind: 'bool', value: b.image === 'true', span: span(b) };
    const child = nodeAt(ctx, 'parenExpr') ?? nodeAt(ctx, 'arrayLit');
    if (child !== undefined) return this.sub<Expr>(child);
    const name = need(tokenAt(ctx, 'Identifier'));
    if (!ctx.LParen?.length) return { kind: 'var', name: name.image, span: span(name) };
    const argsNode = nodeAt(ctx, 'argList');
    const args = argsNode ? this.sub<Arg[]>(argsNode) : [];
    const bar = argsNode ? this.barOf(argsNode) : undefined;
    const close = need(tokenAt(ctx, 'RParen'));
    const call: Expr = { kind: 'call', callee: name.image, calleeSpan: span(name), args, span: spanCover(span(name), span(close)) };
    if (bar) call.bar = bar;
    return call;
  }

  /** The inner expression, its span widened to include the parentheses (so carets show them). */
  parenExpr(ctx: CstChildren): Expr {
    const open = need(tokenAt(ctx, 'LParen'));
    const inner = this.sub<Expr>(nodeAt(ctx, 'expression'));
    const close = need(tokenAt(ctx, 'RParen'));
    return { ...inner, span: spanCover(span(open), span(close)) };
  }

  arrayLit(ctx: CstChildren): Expr {
    const open = need(tokenAt(ctx, 'LBracket'));
    const elements = nodes(ctx, 'elements').map((n) => this.sub<Expr>(n));
    const commas = (ctx.Comma?.length ?? 0) + (ctx.trailingComma?.length ?? 0);
    if (elements.length > 0 && commas !== elements.length - 1 + (ctx.trailingComma?.length ?? 0)) throw INCOMPLETE;
    const close = need(tokenAt(ctx, 'RBracket'));
    return { kind: 'array', elements, span: spanCover(span(open), span(close)) };
  }

  expressionLine(ctx: CstChildren): Expr {
    return this.sub<Expr>(nodeAt(ctx, 'expression'));
  }
}

let shared: AstBuilder | undefined;

function builder(): AstBuilder {
  const b = (shared ??= new AstBuilder());
  b.diagnostics = [];
  b.dropped = 0;
  b.functions = [];
  return b;
}

export interface Built<X> {
  value: X;
  diagnostics: Diagnostic[];
  dropped: number;
}

export function buildProgram(cst: CstNode, file: string, whole: Span): Built<Program> {
  const b = builder();
  const body = b.visit(cst) as Stmt[];
  const program: Program = { kind: 'program', file, body, span: whole };
  if (b.functions.length) program.functions = b.functions;
  return { value: program, diagnostics: b.diagnostics, dropped: b.dropped };
}

export function buildExpression(cst: CstNode): Built<Expr | undefined> {
  const b = builder();
  try {
    return { value: b.visit(cst) as Expr, diagnostics: b.diagnostics, dropped: 0 };
  } catch (e) {
    if (e !== INCOMPLETE) throw e;
    return { value: undefined, diagnostics: b.diagnostics, dropped: 1 };
  }
}
