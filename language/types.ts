// Value types and symbolic shapes, as the checker infers them and the engine reads them.

/** A dimension: a known integer, or the name of integer data / a plate whose value arrives with the data. */
export type Dim = number | string;

export type ElemType = 'real' | 'int' | 'bool';

export interface ValueType {
  elem: ElemType;
  shape: Dim[];
}

/** The constraint a declared type adds on top of its element type (ADVI picks the bijector from it). */
export type Constraint = 'none' | 'positive' | 'unit' | 'simplex' | 'ordered' | 'positive-ordered' | MatrixConstraint;

/** The constrained K×K matrix types; the constraint is named as the type is. */
export type MatrixConstraint = 'cholesky_factor_corr' | 'cholesky_factor_cov' | 'corr_matrix' | 'cov_matrix';

export function isMatrixConstraint(c: string): c is MatrixConstraint {
  return c === 'cholesky_factor_corr' || c === 'cholesky_factor_cov' || c === 'corr_matrix' || c === 'cov_matrix';
}

export const scalar = (elem: ElemType): ValueType => ({ elem, shape: [] });

export function showDim(d: Dim): string {
  return typeof d === 'number' ? String(d) : d;
}

export function showType(t: ValueType): string {
  return t.shape.length ? `${t.elem}[${t.shape.map(showDim).join(', ')}]` : t.elem;
}
