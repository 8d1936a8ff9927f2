import { compile, ModelError, renderDiagnostics } from '../../index.js';

// compile throws ModelError with every diagnostic: message, file, line and column.
const source = 'data N: int\nmu ~ Nromal(0, 1)\nsigma ~ HalfNormal(-1)\n';
let caught: ModelError | undefined;
try {
  compile(source, { file: 'typo.tilde' });
} catch (e) {
  if (!(e instanceof ModelError)) throw e;
  caught = e;
  for (const d of e.diagnostics) console.log(`${d.file}:${d.span?.start.line}:${d.span?.start.column} ${d.message}`);
  console.log(e.message); // rendered: 'typo.tilde:2:6: unknown distribution …', the line, a caret
  console.log(renderDiagnostics(e.diagnostics, source) === e.message); // true when every diagnostic is an error
}

export const result = caught!.diagnostics.map((d) => ({ severity: d.severity, line: d.span?.start.line, column: d.span?.start.column, message: d.message }));
