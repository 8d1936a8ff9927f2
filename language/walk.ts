// Visiting every expression of a piece of program, in source order: statements, their
// distributions and types' neighbours, function bodies. For passes that look for something
// (calls of user functions) without caring where it stands.

import type { DistExpr, Expr, FunDecl, Stmt } from './ast.js';

export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.kind) {
    case 'num':
    case 'bool':
    case 'var':
      return;
    case 'unary':
      return walkExpr(e.arg, visit);
    case 'binary':
      walkExpr(e.left, visit);
      return walkExpr(e.right, visit);
    case 'if':
      walkExpr(e.cond, visit);
      walkExpr(e.then, visit);
      return walkExpr(e.else, visit);
    case 'call':
      for (const a of e.args) walkExpr(a.value, visit);
      return;
    case 'index':
      walkExpr(e.target, visit);
      for (const it of e.items) {
        if (it.kind === 'at') walkExpr(it.expr, visit);
        else {
          if (it.lo) walkExpr(it.lo, visit);
          if (it.hi) walkExpr(it.hi, visit);
        }
      }
      return;
    case 'array':
      for (const x of e.elements) walkExpr(x, visit);
      return;
  }
}

function walkDist(d: DistExpr, visit: (e: Expr) => void): void {
  for (const a of d.args) walkExpr(a.value, visit);
  if (d.truncation?.lo) walkExpr(d.truncation.lo, visit);
  if (d.truncation?.hi) walkExpr(d.truncation.hi, visit);
}

export function walkStmt(s: Stmt, visit: (e: Expr) => void): void {
  switch (s.kind) {
    case 'data':
      if (s.default) walkExpr(s.default, visit);
      return;
    case 'param':
      if (s.init) walkExpr(s.init, visit);
      return;
    case 'plate':
      return;
    case 'assign':
      for (const i of s.target.indices) walkExpr(i, visit);
      return walkExpr(s.value, visit);
    case 'sample':
      for (const i of s.target.indices) walkExpr(i, visit);
      return walkDist(s.dist, visit);
    case 'for':
      walkExpr(s.from, visit);
      walkExpr(s.to, visit);
      for (const b of s.body) walkStmt(b, visit);
      return;
    case 'objective':
    case 'target':
      return walkExpr(s.expr, visit);
    case 'guide':
      for (const b of s.body) walkStmt(b, visit);
      return;
  }
}

/** A function's local definitions and its result. */
export function walkExprs(f: FunDecl, visit: (e: Expr) => void): void {
  for (const s of f.body) walkStmt(s, visit);
  walkExpr(f.result, visit);
}
