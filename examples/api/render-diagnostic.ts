import { frontEnd, renderDiagnostic } from '../../index.js';

// renderDiagnostic(d, source): 'file:line:col: message', the line, and a caret under the span.
const source = 'data N: int\nmu ~ Normal(0, 1)\n';
const { diagnostics } = frontEnd(source, 'prior.tilde'); // a warning: nothing is observed
const text = diagnostics.map((d) => renderDiagnostic(d, source)).join('\n');
console.log(text);

export const result = text;
