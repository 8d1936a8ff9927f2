// Commands that build and show the model: :model, :undo, :load, :data.

import { printProgram } from '../../../language/printer.js';
import { bindData } from '../../../language/data.js';
import { ModelError } from '../../../language/errors.js';
import { fileArg } from '../args.js';
import { diagnosticBlocks, inputError } from '../errors.js';
import { loadProgram, undoStatement } from '../program.js';
import type { Block, Command, CommandEnv } from '../types.js';

function needFile(env: CommandEnv, name: string) {
  const w = fileArg(env.args, env.argsOffset);
  if (w) return { file: w };
  return { blocks: [inputError(env.line, env.argsOffset, Math.max(env.line.length, env.argsOffset + 1), `${name} needs one FILE argument`, `e.g. ${name} models/eight_schools.${name === ':data' ? 'json' : 'tilde'}`)] };
}

function dataSummary(data: Record<string, unknown>): string {
  const names = Object.keys(data);
  return names.length ? names.join(', ') : 'no names';
}

/** Data that does not fit the current program is kept (the model may still be growing) but said so. */
function dataCheck(env: CommandEnv): Block[] {
  const { state } = env;
  if (!state.checked) return [];
  try {
    const bound = bindData(state.checked, state.data, state.dataFile);
    return diagnosticBlocks(bound.warnings, undefined);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    return [{ kind: 'warning', text: `the data do not fit the current model (yet):\n${e.message}` }];
  }
}

function loadData(env: CommandEnv, file: string): Block[] {
  env.state.data = env.ctx.readData(file);
  env.state.dataFile = file;
  return [{ kind: 'ok', text: `data: ${file} (${dataSummary(env.state.data)})` }];
}

export const modelCommands: Command[] = [
  {
    name: 'model',
    summary: 'print the current program',
    details: 'Prints the program pretty-printed from its syntax tree (comments are not kept), followed by the data file and names.',
    run({ state }) {
      if (!state.checked) return { blocks: [{ kind: 'note', text: 'the model is empty: type statements (e.g. mu ~ Normal(0, 1)) or :load FILE' }] };
      const blocks: Block[] = [{ kind: 'text', text: printProgram(state.checked.written ?? state.checked.ast).trimEnd() }];
      blocks.push({ kind: 'note', text: state.dataFile ? `data: ${state.dataFile} (${dataSummary(state.data)})` : `data: ${Object.keys(state.data).length ? dataSummary(state.data) : 'none'}` });
      return { blocks };
    },
  },
  {
    name: 'undo',
    summary: 'drop the last statement',
    details: 'Drops the last statement typed (or, after :load, the last statement of the file). The fit, if any, is kept.',
    run({ state }) {
      return { blocks: undoStatement(state) };
    },
  },
  {
    name: 'load',
    usage: 'FILE',
    summary: 'load a model file (and the data file beside it)',
    details: 'Replaces the program by FILE. When FILE.json or FILE.csv sits beside it, that becomes the data. A file with errors leaves the session as it was. The last fit stays queryable until the next :fit.',
    run(env) {
      const arg = needFile(env, ':load');
      if (!arg.file) return { blocks: arg.blocks };
      const file = arg.file.text;
      const text = env.ctx.readText(file, 'model');
      const blocks = loadProgram(env.state, text, file);
      if (env.state.modelFile !== file) return { blocks };
      const out: Block[] = [{ kind: 'ok', text: `loaded ${file} (${env.state.checked!.ast.body.length} statements, ${env.state.checked!.mode} mode)` }, ...blocks];
      const beside = env.ctx.defaultDataFile(file);
      if (beside) out.push(...loadData(env, beside), ...dataCheck(env));
      return { blocks: out };
    },
  },
  {
    name: 'data',
    usage: 'FILE',
    summary: 'use data from a JSON or CSV file',
    details: 'JSON: an object mapping names to numbers and nested arrays. CSV: one column per name, with a header row. The data are checked against the current model; a mismatch is reported but the data are kept, since the model may still be growing.',
    run(env) {
      const arg = needFile(env, ':data');
      if (!arg.file) return { blocks: arg.blocks };
      return { blocks: [...loadData(env, arg.file.text), ...dataCheck(env)] };
    },
  },
];

export { loadData, dataCheck };
