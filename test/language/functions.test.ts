// User functions in the front end: dimension variables bound per call, the expansion inline (its
// text, its spans that remember the call), deferred size checks that name the call site, and
// run-time errors in a body that do too. The rules' error messages are in golden/semantic/fn_*.
import { describe, expect, it } from 'vitest';
import { frontEnd } from '../../language/index.js';
import { bindData } from '../../language/data.js';
import { EvalError, ModelError } from '../../language/errors.js';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { printProgram } from '../../language/printer.js';
import { renderDiagnostics } from '../../language/diagnostics.js';
import { lex } from '../../language/tokens.js';
import { walkStmt } from '../../language/walk.js';
import type { Expr } from '../../language/ast.js';
import type { CheckedProgram } from '../../language/checked.js';
import { showType } from '../../language/types.js';

function ok(source: string): CheckedProgram {
  const r = frontEnd(source, 'm.tilde');
  expect(renderDiagnostics(r.diagnostics.filter((d) => d.severity === 'error'), source)).toBe('');
  return r.checked!;
}

function errors(source: string): string {
  const r = frontEnd(source, 'm.tilde');
  expect(r.checked).toBeUndefined();
  return renderDiagnostics(r.diagnostics, source);
}

const typeOf = (c: CheckedProgram, name: string): string => showType(c.symbols.get(name)!.type);

const SCALED = `fun scaled(v: real[K], s: real): real[K] {
  return s * v
}
`;

describe('dimension variables', () => {
  it('are bound afresh at each call, to a data size or a literal', () => {
    const c = ok(`${SCALED}data N: int
data x: real[N]
data w: real[3]
a = scaled(x, 2)
b = scaled(w, 2)
c = scaled([1, 2, 3, 4], 2)
`);
    expect(typeOf(c, 'a')).toBe('real[N]');
    expect(typeOf(c, 'b')).toBe('real[3]');
    expect(typeOf(c, 'c')).toBe('real[4]');
  });

  it('bind one name across parameters, and a matrix shape binds two', () => {
    const c = ok(`fun affine(A: real[R, C], x: real[C], b: real[R]): real[R] {
  return A @ x + b
}
data A: real[5, 2]
data x: real[2]
data b: real[5]
y = affine(A, x, b)
`);
    expect(typeOf(c, 'y')).toBe('real[5]');
    expect(errors(`fun affine(A: real[R, C], x: real[C], b: real[R]): real[R] {
  return A @ x + b
}
data A: real[5, 2]
data x: real[2]
y = affine(A, x, x)
`)).toContain("m.tilde:6:18: argument 'b' of affine must be real[R] with R = 5 from argument 'A', but this is real[2]");
  });

  it('of a matrix type bind its one dimension to both axes, and vector/matrix aliases work', () => {
    const c = ok(`fun quad(S: cov_matrix[K], v: vector[K]): real {
  return v @ S @ v
}
fun rows(X: matrix[R, C]): real[R] {
  return sum(X, 1)
}
data S: cov_matrix[3]
data v: real[3]
data X: real[4, 2]
q = quad(S, v)
r = rows(X)
`);
    expect(typeOf(c, 'q')).toBe('real');
    expect(typeOf(c, 'r')).toBe('real[4]');
    expect(errors(`fun quad(S: cov_matrix[K], v: vector[K]): real {
  return v @ S @ v
}
data S: real[3, 2]
data v: real[3]
q = quad(S, v)
`)).toContain("m.tilde:6:10: argument 'S' of quad must be cov_matrix[K, K] with K = 3 from argument 'S', but this is real[3, 2]");
  });

  it('can be used as int values in the body, replaced by the bound size', () => {
    const c = ok(`fun mean_of(v: real[K]): real {
  return sum(v) / K
}
fun padded(v: real[K]): real[K] {
  return v + zeros(K)
}
data N: int
data x: real[N]
m = mean_of(x)
m3 = mean_of([1.0, 2.0, 6.0])
p = padded(x)
`);
    const stmts = c.ast.body.filter((s) => s.kind === 'assign');
    expect(stmts.map((s) => printProgram({ kind: 'program', file: '', body: [s], span: c.ast.span }).trim())).toEqual([
      'm = sum(x) / N',
      'm3 = sum([1.0, 2.0, 6.0]) / 3',
      'p = x + zeros(N)',
    ]);
    expect(typeOf(c, 'p')).toBe('real[N]');
  });

  it('that two data sizes must share are checked when the data arrive, naming the argument', () => {
    const c = ok(`fun weighted(v: real[K], w: real[K]): real {
  return sum(v) + sum(w)
}
data N: int
data M: int
data a: real[N]
data b: real[M]
y ~ Normal(weighted(a, b), 1)
`);
    expect(() => bindData(c, { N: 2, M: 2, a: [1, 2], b: [3, 4], y: 1 })).not.toThrow();
    let err: unknown;
    try {
      bindData(c, { N: 2, M: 3, a: [1, 2], b: [3, 4, 5], y: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    const d = (err as ModelError).diagnostics[0]!;
    expect(d.span!.start.line).toBe(8);
    expect(d.span!.start.column).toBe(24);
    expect(d.message).toContain("argument 'w' of weighted");
  });

  it('of a call inside a body are decided at each expansion: sizes known there are an error at the call', () => {
    const src = `fun inner(v: real[K], w: real[K]): real {
  return sum(v) + sum(w)
}
fun outer(a: real[M], b: real[P]): real {
  return inner(a, b)
}
data a: real[3]
data b: real[3]
data c: real[4]
ok = outer(a, b)
bad = outer(a, c)
`;
    const out = errors(src);
    expect(out).toContain("m.tilde:5:19: argument 'w' of inner must be real[K] with K = M from argument 'v' (here 3), but its size here is 4");
    expect(out).toContain("in function 'outer' called at line 11:7");
    expect(out.match(/argument 'w'/g)?.length).toBe(1);
  });
});

describe('expansion inline', () => {
  it('gives the program with each body written in place of its call', () => {
    const c = ok(`fun hill(x: real, k: positive, v: real[K]): real[K] {
  y = x ^ k
  return v * y / (1 + y)
}
fun sq(a: real): real { return a * a }
data N: int
data dose: real[N]
data obs: real[N]
z ~ Normal(0, 1)
obs ~ Normal(hill(exp(z), 2, dose) + sq(z + 1), 1)
`);
    expect(printProgram(c.ast)).toBe(`data N: int
data dose: real[N]
data obs: real[N]
z ~ Normal(0, 1)
obs ~ Normal(dose * exp(z) ^ 2 / (1 + exp(z) ^ 2) + (z + 1) * (z + 1), 1)
`);
    // The program as written stays available, functions and all.
    expect(c.written?.functions?.map((f) => f.name)).toEqual(['hill', 'sq']);
    expect(printProgram(c.written!)).toContain('obs ~ Normal(hill(exp(z), 2, dose) + sq(z + 1), 1)');
  });

  it('marks the nodes of a body with the call they were expanded at, nested calls outermost last', () => {
    const c = ok(`fun inner(a: real): real {
  return a * 2
}
fun outer(b: real): real {
  return inner(b) + 1
}
z ~ Normal(0, 1)
w = outer(z)
`);
    const vias: string[] = [];
    walkStmt(c.ast.body[1]!, (e: Expr) => {
      if (e.kind === 'num') {
        const chain: string[] = [];
        for (let v = e.span.via; v; v = v.call.via) chain.push(`${v.fn}@${v.call.start.line}:${v.call.start.column}`);
        vias.push(`${e.value} ${e.span.start.line}:${e.span.start.column} ${chain.join(' < ')}`);
      }
    });
    expect(vias.sort()).toEqual(['1 5:21 outer@8:5', '2 2:14 inner@5:10 < outer@8:5']);
  });

  it('keeps model expressions without calls as they were (the same nodes)', () => {
    const src = `fun sq(a: real): real { return a * a }
z ~ Normal(0, 1)
w = z + 1
v = sq(w)
`;
    const parsed = parse(src, 'm.tilde');
    const { checked } = check(parsed.program, src);
    const before = parsed.program.body[1]!;
    const after = checked!.ast.body[1]!;
    if (before.kind !== 'assign' || after.kind !== 'assign') throw new Error('expected assignments');
    expect(after.value).toBe(before.value);
  });

  it('names the call site in a run-time error raised inside a body', () => {
    const c = ok(`fun pick(v: real[K], i: int): real {
  return v[i]
}
z ~ Normal(0, 1)
w = pick([z, z], 1)
`);
    const w = c.ast.body[1]!;
    if (w.kind !== 'assign') throw new Error('expected an assignment');
    const e = new EvalError('index 7 is out of range', w.value.span);
    expect(e.message).toBe("index 7 is out of range (at line 2:10 in function 'pick' called at line 5:5)");
    // Re-thrown with the same span, the note is not repeated.
    expect(new EvalError(e.message, w.value.span).message).toBe(e.message);
  });
});

describe('expansion size', () => {
  /** f_k calls f_(k-1) twice: the expansion of f_depth holds about 2^(depth+1) nodes. */
  const doubling = (depth: number): string => {
    const fns = ['fun f0(x: real): real { return x + 1 }'];
    for (let k = 1; k <= depth; k++) fns.push(`fun f${k}(x: real): real { return f${k - 1}(x) + f${k - 1}(x) }`);
    return `${fns.join('\n')}\nz ~ Normal(0, 1)\nw = f${depth}(z)\n`;
  };

  it('is fine for a few thousand nodes', () => {
    ok(doubling(10));
  });

  it('is refused, at the call in the model, past its limit instead of exhausting memory', () => {
    const depth = 40;
    const out = errors(doubling(depth));
    expect(out).toMatch(new RegExp(`m\\.tilde:${depth + 3}:5: expanding the calls of user functions here makes more than 200000 expressions`));
    expect(out.match(/expanding the calls/g)?.length).toBe(1);
  });
});

describe('lexing', () => {
  it("makes 'fun' and 'return' keywords, but not names that start with them", () => {
    const names = lex('fun return funny returned').tokens.filter((t) => t.image !== '').map((t) => t.tokenType.name);
    expect(names).toEqual(['Fun', 'Return', 'Identifier', 'Identifier']);
  });
});
