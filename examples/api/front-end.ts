import { check, frontEnd, parse, printProgram } from '../../index.js';

// The front end in stages: parse → AST with spans; check → names, types, shapes, modes.
const source = 'data J: int\ndata y: real[J]\nmu ~ Normal(0, 5)\ny ~ Normal(mu, 1)\n';
const parsed = parse(source, 'm.tilde'); // { program, diagnostics }
const checked = check(parsed.program, source); // { checked, diagnostics }
console.log([...checked.checked!.symbols.values()].map((s) => `${s.name}: ${s.kind}`)); // J: data, y: data, mu: latent

// frontEnd does both and stops at the first stage with errors.
const all = frontEnd(source, 'm.tilde');
console.log(all.checked !== undefined, all.diagnostics.length); // true 0

// printProgram(ast): the canonical source text of a program.
console.log(printProgram(parsed.program));

export const result = { kinds: [...checked.checked!.symbols.values()].map((s) => [s.name, s.kind]), printed: printProgram(parsed.program), ok: all.checked !== undefined };
