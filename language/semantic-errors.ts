// One constructor per kind of semantic diagnostic. Each takes the span to point at; the
// checker adds the file name. The `code` is stable so tests and tools can match on it.

import type { Diagnostic } from './diagnostics.js';
import type { Span } from './span.js';

export type SemanticError = Omit<Diagnostic, 'file'>;

const err = (code: string, span: Span, message: string, hint?: string): SemanticError => (hint ? { severity: 'error', code, message, span, hint } : { severity: 'error', code, message, span });
const warn = (code: string, span: Span, message: string): SemanticError => ({ severity: 'warning', code, message, span });

export const unknownName = (span: Span, name: string, dym: string): SemanticError => err('unknown-name', span, `unknown name '${name}'${dym}`);
export const usedBeforeDefined = (span: Span, name: string, line: number): SemanticError =>
  err('use-before-definition', span, `'${name}' is used before it is defined (line ${line})`, 'names must be defined above their first use');
export const redefinition = (span: Span, name: string, line: number, extra = ''): SemanticError =>
  err('redefinition', span, `'${name}' is already defined (line ${line})${extra}`, 'every name is defined once');
export const unknownFunction = (span: Span, name: string, dym: string): SemanticError => err('unknown-function', span, `unknown function '${name}'${dym}`);
export const unknownDistribution = (span: Span, name: string, dym: string): SemanticError => err('unknown-distribution', span, `unknown distribution '${name}'${dym}`);
export const distributionAsFunction = (span: Span, name: string): SemanticError =>
  err('distribution-as-function', span, `'${name}' is a distribution; use it on the right of '~'`);
export const densityBar = (span: Span, fn: string, sig: string): SemanticError =>
  err('density-bar', span, `${fn} separates the value from the parameters with '|': ${sig}`);
export const misplacedBar = (span: Span, fn: string): SemanticError =>
  err('misplaced-bar', span, `${fn} takes its arguments separated by ','; '|' belongs only in log-density calls such as normal_lpdf(y | mu, sigma)`);
export const badDensityFunction = (span: Span, message: string): SemanticError => err('density-function', span, message);
export const truncationNoCdf = (span: Span, family: string, withCdf: string): SemanticError =>
  err('truncation', span, `${family} cannot be truncated: the engine has no CDF for it (truncation works for ${withCdf})`);
export const truncationLatent = (span: Span, name: string): SemanticError =>
  err(
    'truncation',
    span,
    `'${name}' is a latent: T[…] truncates observed data only`,
    'a latent with bounds is a constrained type or a family with that support (HalfNormal, Uniform, …); truncating a latent would need a truncated sampler for its guide',
  );
export const truncationBoundType = (span: Span, got: string): SemanticError => err('truncation', span, `a truncation bound must be a real scalar or match the observed value's shape, but this is ${got}`);
export const functionArity = (span: Span, name: string, expected: string, got: number): SemanticError =>
  err('arity', span, `${name} takes ${expected}, got ${got}`);
export const namedFunctionArgument = (span: Span, fn: string): SemanticError => err('named-argument', span, `${fn} does not take named arguments`);
export const distributionArity = (span: Span, family: string, params: string, max: number, got: number): SemanticError =>
  err('arity', span, `${family} takes ${max} argument${max === 1 ? '' : 's'} (${params}), got ${got}`);
export const unknownArgument = (span: Span, family: string, arg: string, dym: string, params: string): SemanticError =>
  err('unknown-argument', span, `${family} has no parameter '${arg}'${dym}; its parameters are ${params}`);
export const duplicateArgument = (span: Span, family: string, arg: string): SemanticError => err('duplicate-argument', span, `${family}: '${arg}' is given twice`);
export const exclusiveArguments = (span: Span, family: string, a: string, b: string): SemanticError =>
  err('exclusive-arguments', span, `${family} takes either ${a} or ${b}, not both`);
export const missingArgument = (span: Span, family: string, what: string): SemanticError => err('missing-argument', span, `${family} is missing ${what}`);
export const argumentType = (span: Span, family: string, arg: string, want: string, got: string): SemanticError =>
  err('argument-type', span, `${arg} of ${family} must be ${want}, but this is ${got}`);
export const argumentDomain = (span: Span, family: string, arg: string, want: string, value: number): SemanticError =>
  err('argument-domain', span, want.startsWith('a simplex') ? `${arg} of ${family} must be ${want}, but it sums to ${value}` : `${arg} of ${family} must be ${want}, got ${value}`);
export const argumentOrder = (span: Span, family: string, arg: string, at: number, value: number, prev: number): SemanticError =>
  err('argument-domain', span, `${arg} of ${family} must be strictly increasing, but ${arg}[${at}] = ${value} ≤ ${arg}[${at - 1}] = ${prev}`);
export const argumentRank = (span: Span, family: string, arg: string, got: string): SemanticError =>
  err('argument-rank', span, `${arg} of ${family} must have a last dimension (K), but this is ${got}`);
export const argumentMatrix = (span: Span, family: string, arg: string, got: string): SemanticError =>
  err('argument-rank', span, `${arg} of ${family} must be a square matrix [K, K] (batches in front), but this is ${got}`);
export const eventMismatch = (span: Span, family: string, a: string, b: string): SemanticError =>
  err('shape-mismatch', span, `the arguments of ${family} disagree on the event size K (the last dimension): ${a} and ${b}`);
export const broadcastMismatch = (span: Span, what: string, a: string, b: string): SemanticError =>
  err('shape-mismatch', span, `shapes do not broadcast in ${what}: ${a} and ${b}`);
export const matmulMismatch = (span: Span, a: string, b: string): SemanticError => err('shape-mismatch', span, `'@' needs matching inner dimensions: ${a}, ${b}`);
export const matmulScalar = (span: Span, what: string): SemanticError => err('shape-mismatch', span, `'@' needs arrays on both sides, but ${what} is a scalar`);
export const shapeRequirement = (span: Span, message: string): SemanticError => err('shape-mismatch', span, message);
export const tooManyIndices = (span: Span, what: string, type: string, n: number): SemanticError =>
  err('too-many-indices', span, `${what} is ${type}, which takes at most ${n} ${n === 1 ? 'index' : 'indices'}`);
export const badIndexType = (span: Span, type: string): SemanticError => err('index-type', span, `indices must be int, but this is ${type}`);
export const indexOutOfRange = (span: Span, index: number, what: string, dim: string): SemanticError =>
  err('index-range', span, `index ${index} is out of range for ${what} (axis of size ${dim})`);
export const indexRange = (span: Span, target: string, index: string, value: string, when: string, axis: string): SemanticError =>
  err('index-range', span, `${target}[${index}] reads index ${value}${when}, outside the axis ${axis}`);
export const typeMismatch = (span: Span, message: string): SemanticError => err('type-mismatch', span, message);
export const badDimension = (span: Span, name: string, why: string): SemanticError => err('bad-dimension', span, `dimension '${name}' ${why}`);
export const loopBoundRandom = (span: Span, name: string, why: string): SemanticError =>
  err('loop-bound', span, `loop bounds must be known before inference; '${name}' ${why}`);
export const loopBoundType = (span: Span, type: string): SemanticError => err('loop-bound', span, `loop bounds must be int scalars, but this is ${type}`);
export const elementIndexForm = (span: Span): SemanticError =>
  err('element-index', span, 'indices of an element definition must be loop variables plus or minus int literals, or int literals');
export const elementLoopBound = (span: Span): SemanticError =>
  err('element-index', span, 'a loop that defines elements needs bounds that are int literals or int data names plus or minus literals');
export const elementMissingLoopVar = (span: Span, name: string, v: string): SemanticError =>
  err('element-overlap', span, `'${name}' is defined again in every iteration of the loop over '${v}'; index it by '${v}'`);
export const elementRepeatedVar = (span: Span, v: string): SemanticError => err('element-index', span, `loop variable '${v}' may appear in only one index`);
export const elementCoverage = (span: Span, message: string): SemanticError => err('element-coverage', span, message);
export const wholeAndElements = (span: Span, name: string, line: number): SemanticError =>
  err('redefinition', span, `'${name}' is defined as a whole on line ${line} and element by element here`);
export const elementKinds = (span: Span, name: string, line: number): SemanticError =>
  err('element-kind', span, `the elements of '${name}' must all be sampled or all be assigned (line ${line} differs)`);
export const elementType = (span: Span, name: string, a: string, b: string): SemanticError =>
  err('element-type', span, `the elements of '${name}' must have one type: earlier ones are ${a}, this one is ${b}`);
export const elementRank = (span: Span, name: string, n: number, type: string): SemanticError =>
  err('too-many-indices', span, `'${name}' is ${type}; it cannot be defined with ${n} indices`);
export const selfReference = (span: Span, what: string): SemanticError => err('self-reference', span, `${what} is used in its own definition, before it is defined`);
export const notAssignable = (span: Span, name: string, kind: string): SemanticError => err('not-assignable', span, `'${name}' is ${kind}; it cannot be defined by '='`);
export const alreadyObserved = (span: Span, name: string, line: number): SemanticError => err('redefinition', span, `'${name}' is already observed (line ${line})`);
export const declaredSupport = (span: Span, name: string, declared: string, family: string, gives: string): SemanticError =>
  err('support-mismatch', span, `${name} is declared ${declared}, but ${family} gives ${gives} values`);
export const matrixFamilyType = (span: Span, name: string, family: string, want: string, got: string): SemanticError =>
  err('support-mismatch', span, `${family} gives a ${want} value, so '${name}' must be declared ${want}[K], not ${got}`, `write ${name}: ${want}[K] ~ ${family}(…)`);
export const matrixFamilyUndeclared = (span: Span, name: string, family: string, want: string): SemanticError =>
  err('missing-type', span, `${family} takes the size of its matrix from a declared type, and '${name}' has none`, `write ${name}: ${want}[K] ~ ${family}(…)`);
export const matrixFamilyBatch = (span: Span, family: string, arg: string, got: string): SemanticError =>
  err('argument-rank', span, `${arg} of ${family} must be a scalar (one matrix per site), but this is ${got}`);
export const matrixFamilyElement = (span: Span, name: string, family: string): SemanticError =>
  err('element-kind', span, `${family} samples a whole matrix: '${name}' cannot be defined element by element with it`);
export const orderedSupport = (span: Span, name: string, declared: string, family: string, gives: string, within: string, hint: string): SemanticError =>
  err('support-mismatch', span, `${name} is declared ${declared}, which narrows ${within} values, but ${family} gives ${gives} values${hint}`);
export const guideOrdered = (span: Span, name: string, declared: string): SemanticError =>
  err('guide-support', span, `'${name}' is declared ${declared} in the model; an explicit guide cannot keep its draws in order, so it takes the automatic guide (remove it from the guide block)`);
export const declaredShape = (span: Span, name: string, declared: string, family: string, got: string): SemanticError =>
  err('shape-mismatch', span, `${name} is declared ${declared}, but ${family}'s arguments have shape ${got}`);
export const unknownAnnotation = (span: Span, name: string, dym: string, all: string): SemanticError =>
  err('unknown-estimator', span, `unknown estimator '@${name}'${dym}; the estimators are ${all}`);
export const annotationInapplicable = (span: Span, est: string, name: string, why: string): SemanticError =>
  err('estimator-inapplicable', span, `@${est} cannot apply to '${name}': ${why}`);
export const annotationOnObserved = (span: Span, name: string): SemanticError =>
  err('estimator-on-observed', span, `${name} is observed; estimators apply to latent sites`);
export const modeConflict = (span: Span, obs: string, obsLine: number, objLine: number): SemanticError =>
  err('mode-conflict', span, `a program cannot both observe data and minimize/maximize: '${obs}' is observed on line ${obsLine}, and line ${objLine} is an objective`);
export const targetModeConflict = (span: Span, targetLine: number, objLine: number): SemanticError =>
  err('mode-conflict', span, `a program cannot both add to its log density and minimize/maximize: line ${targetLine} is a target term, and line ${objLine} is an objective`);
export const priorMode = (span: Span): SemanticError => warn('prior-mode', span, 'the program has no observations and no objective; fitting it gives back the prior');
export const misplaced = (span: Span, what: string, where: string): SemanticError => err('misplaced-statement', span, `${what} ${where}`);
export const secondGuide = (span: Span, line: number): SemanticError => err('second-guide', span, `a program has at most one guide block (the first is on line ${line})`);
export const guideNotLatent = (span: Span, name: string, what: string): SemanticError => err('guide-site', span, `the guide samples '${name}', but ${what}`);
export const guideShape = (span: Span, name: string, guide: string, model: string): SemanticError =>
  err('guide-shape', span, `guide for '${name}' has type ${guide}, but the model's '${name}' is ${model}`);
export const guideSupport = (span: Span, name: string, want: string, modelFamily: string, guideFamily: string, got: string): SemanticError =>
  err('guide-support', span, `guide for '${name}' must have ${want} support like ${modelFamily}; ${guideFamily} has ${got} support`);
export const guideHidden = (span: Span, name: string, why: string): SemanticError => err('guide-scope', span, `the guide cannot use '${name}': ${why}`);
export const notConstant = (span: Span, what: string, name: string, kind: string): SemanticError =>
  err('not-constant', span, `${what} must be computed from data and literals, but '${name}' is ${kind}`);
export const notAnInt = (span: Span, what: string, type: string): SemanticError => err('type-mismatch', span, `${what} must be an int, but this is ${type}`);
export const unusedData = (span: Span, name: string): SemanticError => warn('unused-data', span, `data '${name}' is declared but never used`);
export const unusedLatent = (span: Span, name: string): SemanticError =>
  warn('unused-latent', span, `latent '${name}' does not affect any observation; its posterior is its prior`);
export const functionName = (span: Span, name: string, why: string): SemanticError =>
  err('function-name', span, `'${name}' ${why}; a user function needs a name of its own`);
export const functionSignature = (span: Span, message: string): SemanticError => err('function-signature', span, message);
export const recursion = (span: Span, cycle: string): SemanticError =>
  err('recursion', span, `recursion is not allowed: ${cycle}`, 'a call is expanded inline, so a function cannot call itself, directly or through other functions');
export const notInFunction = (span: Span, what: string, why: string): SemanticError => err('function-purity', span, `${what} cannot appear inside a function: ${why}`);
export const impureRead = (span: Span, fn: string, name: string, line: number): SemanticError =>
  err('function-purity', span, `function '${fn}' cannot read '${name}' (defined in the model, line ${line}): a function sees only its arguments, its locals and literals`, 'pass it in as an argument');
export const argumentMismatch = (span: Span, fn: string, param: string, expected: string, found: string): SemanticError =>
  err('argument-type', span, `argument '${param}' of ${fn} must be ${expected}, but ${found}`);
export const returnMismatch = (span: Span, fn: string, declared: string, got: string): SemanticError =>
  err('return-type', span, `'${fn}' is declared to return ${declared}, but this is ${got}`);
export const expansionTooBig = (span: Span, fn: string, max: number): SemanticError =>
  err('function-size', span, `expanding the calls of user functions here makes more than ${max} expressions (at '${fn}')`, 'each call copies its function\'s body: a function that calls another twice doubles it at every level; compute a shared value once and pass it in');
