// The REPL's interpreter speaks in data: each input yields blocks (text, tables,
// charts, errors) that the Ink app and the plain-text mode render in their own
// ways. Everything outside the process (files, the engine, the planner) comes in
// through `Context`, so tests can drive a session with an in-memory one.

import type { CheckedProgram, Diagnostic, Fit, FitOptions, Progress } from '../../index.js';
import type { SessionState } from './state.js';

export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

export type Block =
  | { kind: 'text'; text: string }
  /** Secondary information (settings, hints), shown dimmed. */
  | { kind: 'note'; text: string }
  | { kind: 'ok'; text: string }
  | { kind: 'warning'; text: string }
  /** A rendered diagnostic: `file:line:col: message`, the line and the caret. */
  | { kind: 'error'; text: string }
  /** Numeric tables right-align every column after the first; `text` ones align left. */
  | { kind: 'table'; header: string[]; rows: string[][]; text?: boolean }
  | { kind: 'histogram'; title: string; bins: Bin[]; total: number }
  | { kind: 'chart'; title: string; values: number[]; xLabel: string };

export interface Result {
  blocks: Block[];
  /** The input so far is an unfinished block: read another line. */
  more?: boolean;
  quit?: boolean;
}

export interface Engine {
  fit(program: CheckedProgram, warnings: Diagnostic[], options: FitOptions): Promise<Fit>;
  open(json: unknown): Promise<Fit>;
  defaults: Readonly<Record<string, string | number | boolean>>;
}

/** What the estimator plan and the graph printers offer (engine II may not be there yet). */
export interface Inspectors {
  plan?: (program: CheckedProgram) => { text?: string; diagnostics: Diagnostic[] };
  graph?: (program: CheckedProgram) => string;
}

export interface Context {
  /** Throws a ModelError naming the file when it is missing or unreadable. */
  readText(file: string, what: string): string;
  /** JSON or CSV by extension; throws a ModelError. */
  readData(file: string): Record<string, unknown>;
  writeText(file: string, text: string): void;
  defaultDataFile(modelFile: string): string | undefined;
  /** Loaded lazily: importing tfjs costs a noticeable part of a second. */
  engine(): Promise<Engine>;
  inspectors(): Promise<Inspectors>;
}

/** Per-input hooks from the front end: the running fit reports progress and listens for Ctrl-C. */
export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** Called once a fit starts, with the options it uses. */
  onFitStart?: (info: { maxSteps: number }) => void;
  signal?: AbortSignal;
}

export interface CommandEnv {
  state: SessionState;
  ctx: Context;
  hooks: RunHooks;
  /** The whole input line, for carets under arguments. */
  line: string;
  /** The argument text and its offset in `line`. */
  args: string;
  argsOffset: number;
}

export interface CommandOutput {
  blocks: Block[];
  quit?: boolean;
}

export interface Command {
  name: string;
  /** Argument synopsis for :help, e.g. 'FILE' or '[command]'. */
  usage?: string;
  summary: string;
  /** Longer help shown by `:help NAME`. */
  details?: string;
  run(env: CommandEnv): Promise<CommandOutput> | CommandOutput;
}
