import { fit } from './fit.js';

// fit.diagnostics: how the fit went. fit.elboTrace: the ELBO estimate of every step.
const d = fit.diagnostics;
console.log(d.backend, d.steps, d.converged, d.stopped, d.elbo, d.khat, d.khatReading, d.seconds);
console.log(fit.elboTrace.length === d.steps); // true

export const result = { diagnostics: d, traceLength: fit.elboTrace.length };
