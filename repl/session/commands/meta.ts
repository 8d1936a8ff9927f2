// :help and :quit.

import { suggest } from '../../../language/suggest.js';
import { inputError } from '../errors.js';
import type { Block, Command } from '../types.js';

const INTRO = [
  'Type model statements to build a model line by line (blocks continue until their braces close):',
  '  mu ~ Normal(0, 5)      data y: real[3]      y ~ Normal(mu, 1)',
  'Ask about the posterior after :fit:',
  '  mu    theta[1] - theta[0]    P(mu > 0)    E(tau ^ 2)    quantile(tau, 0.9)',
  'Tab completes commands and names; Up/Down walk the history; Ctrl-C stops a running fit.',
].join('\n');

export function helpCommands(all: () => readonly Command[]): Command[] {
  return [
    {
      name: 'help',
      usage: '[command]',
      summary: 'this list, or the details of one command',
      run({ args, line, argsOffset }) {
        const name = args.trim().replace(/^:/, '');
        const commands = all();
        if (!name) {
          const rows = commands.map((c) => [`:${c.name}${c.usage ? ' ' + c.usage : ''}`, c.summary]);
          const blocks: Block[] = [{ kind: 'text', text: INTRO }, { kind: 'table', header: ['command', 'what it does'], rows, text: true }];
          return { blocks };
        }
        const c = commands.find((x) => x.name === name);
        if (!c) {
          const near = suggest(name, commands.map((x) => x.name));
          return { blocks: [inputError(line, argsOffset + (args.length - args.trimStart().length), line.length, `no command ':${name}'${near ? ` (did you mean ':${near}'?)` : ''}`)] };
        }
        return { blocks: [{ kind: 'text', text: `:${c.name}${c.usage ? ' ' + c.usage : ''}\n  ${c.summary}${c.details ? '\n\n' + c.details : ''}` }] };
      },
    },
    {
      name: 'quit',
      summary: 'leave the REPL (also Ctrl-D on an empty line)',
      run() {
        return { blocks: [], quit: true };
      },
    },
  ];
}
