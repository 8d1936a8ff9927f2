// The interpreter: one call per line the user enters. Lines that start with ':'
// are commands; other input is a model statement or a question about the
// posterior. Unfinished blocks are buffered until they close. Whatever happens,
// the call returns blocks: nothing typed can end the session except :quit.

import { isIncomplete, parseStatement } from '../../language/parse.js';
import { suggest } from '../../language/suggest.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { exceptionBlocks, inputError } from './errors.js';
import { addStatements } from './program.js';
import { runQuery } from './query.js';
import { SessionState } from './state.js';
import type { Block, Context, Result, RunHooks } from './types.js';

const STATEMENT_KEYWORD = /^\s*(data|param|plate|for|guide|minimize|maximize|fun)\b/;
/** `~`, or a single `=` (not part of ==, <=, >=, !=): the user meant a statement. */
const LOOKS_LIKE_STATEMENT = /~|(^|[^=<>!])=($|[^=])/;

export class Session {
  readonly state = new SessionState();
  private pending: string[] = [];

  constructor(readonly ctx: Context) {}

  /** True while a multi-line block is being read (the prompt shows a continuation). */
  get continuing(): boolean {
    return this.pending.length > 0;
  }

  /** Drops a half-typed block (Ctrl-C at a continuation prompt). */
  cancelPending(): boolean {
    const had = this.pending.length > 0;
    this.pending = [];
    return had;
  }

  /** Processes what is left at end of input: an unclosed block is reported, not silently dropped. */
  async flush(hooks: RunHooks = {}): Promise<Result> {
    if (!this.pending.length) return { blocks: [] };
    const text = this.pending.join('\n');
    this.pending = [];
    return this.guard(() => this.input(text, hooks));
  }

  async submit(line: string, hooks: RunHooks = {}): Promise<Result> {
    if (this.pending.length) {
      this.pending.push(line);
      const text = this.pending.join('\n');
      if (isIncomplete(text)) return { blocks: [], more: true };
      this.pending = [];
      return this.guard(() => this.input(text, hooks));
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) return { blocks: [] };
    if (trimmed.startsWith(':')) return this.guard(() => this.command(line, hooks));
    if (isIncomplete(line)) {
      this.pending.push(line);
      return { blocks: [], more: true };
    }
    return this.guard(() => this.input(line, hooks));
  }

  private async guard(run: () => Promise<Result> | Result): Promise<Result> {
    try {
      return await run();
    } catch (e) {
      return { blocks: exceptionBlocks(e) };
    }
  }

  private async command(line: string, hooks: RunHooks): Promise<Result> {
    const start = line.indexOf(':');
    const m = /^:(\S*)/.exec(line.slice(start))!;
    const name = m[1]!;
    const cmd = findCommand(name);
    if (!cmd) {
      const near = suggest(name, COMMANDS.map((c) => c.name));
      const msg = name ? `unknown command ':${name}'${near ? ` (did you mean ':${near}'?)` : ''}` : "a command name must follow ':'";
      return { blocks: [inputError(line, start, start + 1 + name.length, msg, ':help lists the commands')] };
    }
    const argsOffset = start + m[0].length;
    const out = await cmd.run({ state: this.state, ctx: this.ctx, hooks, line, args: line.slice(argsOffset), argsOffset });
    return { blocks: out.blocks, quit: out.quit };
  }

  /** A statement extends the model; anything else is a query over the posterior. */
  private input(text: string, _hooks: RunHooks): Result {
    const asStatement = parseStatement(text, '<repl>');
    const parsedAsStatement = asStatement.statements.length > 0 && !asStatement.diagnostics.some((d) => d.severity === 'error');
    const statementish = STATEMENT_KEYWORD.test(text) || LOOKS_LIKE_STATEMENT.test(text);
    if (parsedAsStatement || statementish) return { blocks: addStatements(this.state, text) };
    return { blocks: runQuery(this.state, text) };
  }
}

/** The banner a session starts with. */
export function banner(version: string, backend: string): Block[] {
  return [
    { kind: 'text', text: `tilde ${version} — probabilistic programs, fitted by variational inference` },
    { kind: 'note', text: `backend: ${backend}   :help for commands, :quit to leave` },
  ];
}
