// The package root: the typed, browser-safe API. Nothing here reaches a Node built-in;
// file and terminal work lives in repl/.

export { compile, Model, Fit, FIT_DEFAULTS, type FitOptions, type FitDiagnostics, type CompileOptions } from './inference/model.js';
export type { Progress } from './inference/fit.js';
export { FIT_OPTIONS, type OptionSpec, type OptionType, type Surface } from './inference/options.js';
export { Posterior, type SummaryRow, type QueryResult } from './inference/posterior.js';
export { selectBackend, activeBackend, configureWasmPaths, type BackendName } from './inference/backend.js';
export { renderDiagnostic, renderDiagnostics, type Diagnostic } from './language/diagnostics.js';
export { ModelError, FitError } from './language/errors.js';
export { frontEnd, parse, check, bindData, parseCsv, printProgram } from './language/index.js';
export type { CheckedProgram } from './language/checked.js';
export { FAMILIES, type FamilySpec } from './language/distributions.js';
