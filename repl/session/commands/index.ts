// The command table: every `:name` the REPL understands, in the order :help lists them.

import type { Command } from '../types.js';
import { fitCommands } from './fit.js';
import { inspectCommands } from './inspect.js';
import { helpCommands } from './meta.js';
import { modelCommands } from './model.js';

export const COMMANDS: readonly Command[] = [...modelCommands, ...fitCommands, ...inspectCommands, ...helpCommands(() => COMMANDS)];

/** Short forms people type from other REPLs. */
export const ALIASES: Readonly<Record<string, string>> = { q: 'quit', exit: 'quit', h: 'help', '?': 'help', l: 'load' };

export function findCommand(name: string): Command | undefined {
  const n = ALIASES[name] ?? name;
  return COMMANDS.find((c) => c.name === n);
}
