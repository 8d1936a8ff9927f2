/// <reference types="node" />
// `tilde repl [MODEL] [--data FILE]`: sets up a session, then runs the Ink app
// when stdin and stdout are terminals, else the plain line-by-line mode.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultHistoryFile, History } from './history.js';
import { printBlocks, runPlain } from './plain.js';
import { loadEngine, nodeContext } from './session/context.js';
import { banner, Session } from './session/session.js';
import type { BackendChoice } from '../inference/options.js';
import type { Block } from './session/types.js';

export interface ReplOptions {
  model?: string;
  data?: string;
  backend?: BackendChoice;
  version?: string;
}

const quote = (f: string) => (/\s/.test(f) ? JSON.stringify(f) : f);

/** The session with the command line's model and data loaded; what that printed. */
export async function startSession(o: ReplOptions): Promise<{ session: Session; blocks: Block[] }> {
  const session = new Session(nodeContext());
  const blocks: Block[] = [];
  if (o.backend) session.state.settings.backend = o.backend;
  if (o.model) blocks.push(...(await session.submit(`:load ${quote(o.model)}`)).blocks);
  if (o.data) blocks.push(...(await session.submit(`:data ${quote(o.data)}`)).blocks);
  return { session, blocks };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir || '.').map((f) => {
      try {
        return statSync(join(dir || '.', f)).isDirectory() ? f + '/' : f;
      } catch {
        return f;
      }
    });
  } catch {
    return [];
  }
}

export async function runRepl(o: ReplOptions): Promise<number> {
  const { session, blocks } = await startSession(o);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!tty) {
    const failedAtStart = printBlocks(blocks, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    const code = await runPlain(session, {
      input: process.stdin,
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
      width: process.stdout.columns ?? 80,
    });
    return failedAtStart ? 1 : code;
  }
  const history = new History(defaultHistoryFile());
  // Ink renders only a final frame when it thinks it runs in CI (it reads CI at import). A person
  // at a terminal is interactive whatever the environment says, so hide the flag before Ink loads.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  const backend = o.backend ?? process.env['TILDE_BACKEND'] ?? 'auto (chosen per model at :fit)';
  const [{ render }, react, { ColourApp }] = await Promise.all([import('ink'), import('react'), import('./app.js')]);
  // React is CommonJS: Node's loader gives it named exports, a bundle (dist/cli/) only `default`.
  const createElement = react.createElement ?? (react as unknown as { default: typeof react }).default.createElement;
  const colour = !('NO_COLOR' in process.env && process.env['NO_COLOR'] !== '');
  const app = render(
    createElement(ColourApp, {
      colour,
      session,
      history: history.entries,
      remember: (line: string) => history.add(line),
      initial: [...banner(o.version ?? '0.1.0', backend), ...blocks],
      listDir,
    }),
    { exitOnCtrlC: false },
  );
  // Load the engine while the user reads the banner, so the first :fit starts at once; after the
  // first frame, since importing tfjs holds the event loop for a moment.
  const warm = setTimeout(() => void loadEngine().catch(() => undefined), 300);
  await app.waitUntilExit();
  clearTimeout(warm);
  return 0;
}
