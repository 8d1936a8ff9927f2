// Data declared with a constrained matrix type is checked at load: one located, named message
// per value, naming the offending element.
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { bindData } from '../../language/data.js';
import { renderDiagnostic } from '../../language/diagnostics.js';
import { ModelError } from '../../language/errors.js';

const SRC = (type: string) => `data K: int\ndata y: real\ndata M: ${type}\ny ~ Normal(sum(M), 1)\n`;

function bind(type: string, M: unknown, K = 2) {
  const src = SRC(type);
  const p = parse(src, 'm.tilde');
  expect(p.diagnostics).toEqual([]);
  const r = check(p.program, src);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { run: () => bindData(r.checked!, { K, y: 0, M }, 'd.json'), src };
}

function problems(type: string, M: unknown, K = 2): string[] {
  try {
    bind(type, M, K).run();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return (e as ModelError).diagnostics.map((d) => d.message);
  }
  return [];
}

describe('constrained matrix data', () => {
  it('accepts valid values of each type, row-major as K×K', () => {
    const r = 0.6;
    const b = bind('cholesky_factor_corr[K]', [[1, 0], [r, Math.sqrt(1 - r * r)]]).run();
    expect(b.arrays.get('M')!.shape).toEqual([2, 2]);
    expect(problems('cholesky_factor_cov[K]', [[2, 0], [-1, 0.5]])).toEqual([]);
    expect(problems('corr_matrix[K]', [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]], 3)).toEqual([]);
    expect(problems('cov_matrix[K]', [[4, 1], [1, 2]])).toEqual([]);
  });
  it('says which element breaks symmetry', () => {
    expect(problems('cov_matrix[K]', [[4, 1], [1.5, 2]])).toEqual(['M: M[1, 0] is 1.5 but M[0, 1] is 1: a cov_matrix is symmetric (in d.json)']);
  });
  it('says when a matrix is not positive definite, and which leading block fails', () => {
    expect(problems('cov_matrix[K]', [[1, 2], [2, 1]])).toEqual(['M: a cov_matrix must be positive definite, but its leading 2×2 block (through M[1, 1]) has determinant ≤ 0 (in d.json)']);
    expect(problems('cov_matrix[K]', [[-1, 0], [0, 1]])).toEqual(['M: a cov_matrix must be positive definite, but M[0, 0] is -1 (in d.json)']);
    // Symmetric, unit diagonal, but the three correlations cannot coexist.
    const C = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]];
    expect(problems('corr_matrix[K]', C, 3)).toEqual(['M: a corr_matrix must be positive definite, but its leading 3×3 block (through M[2, 2]) has determinant ≤ 0 (in d.json)']);
  });
  it('checks the unit diagonal of a corr_matrix', () => {
    expect(problems('corr_matrix[K]', [[1, 0.2], [0.2, 1.1]])).toEqual(['M: M[1, 1] is 1.1, but a corr_matrix has ones on its diagonal (in d.json)']);
  });
  it('checks Cholesky factors: lower triangular, positive diagonal, unit rows for a correlation', () => {
    expect(problems('cholesky_factor_cov[K]', [[1, 0.5], [0, 1]])).toEqual(['M: M[0, 1] is 0.5, but a cholesky_factor_cov is lower triangular (zero above the diagonal) (in d.json)']);
    expect(problems('cholesky_factor_cov[K]', [[1, 0], [0.3, 0]])).toEqual(['M: M[1, 1] is 0, but a cholesky_factor_cov has a positive diagonal (in d.json)']);
    expect(problems('cholesky_factor_corr[K]', [[1, 0], [0.6, 0.7]])).toEqual(['M: row M[1] has squared norm 0.85, but the rows of a cholesky_factor_corr have unit norm (in d.json)']);
  });
  it('points at the declaration in the model file', () => {
    let diag: ModelError['diagnostics'][number] | undefined;
    try {
      bind('cov_matrix[K]', [[1, 2], [2, 1]]).run();
    } catch (e) {
      diag = (e as ModelError).diagnostics[0]!;
    }
    expect(diag!.span!.start).toMatchObject({ line: 3, column: 6 });
    expect(renderDiagnostic(diag!, SRC('cov_matrix[K]'))).toContain('m.tilde:3:6');
  });
});
