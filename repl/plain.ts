/// <reference types="node" />
// The REPL without a terminal UI: lines from stdin (a script, a pipe), results as
// plain text without colour; errors and warnings to stderr. Used when stdin or
// stdout is not a TTY, so `tilde repl < script.txt` works for scripting. Errors
// never stop the script; the exit code says whether there were any.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fmt, formatSurrogates } from './format.js';
import { blockText } from './render.js';
import type { Session } from './session/session.js';
import type { Block, Result, RunHooks } from './session/types.js';

export interface PlainIo {
  input: Readable;
  out: (s: string) => void;
  err: (s: string) => void;
  /** Show a prompt and a progress line on stderr (stdin and stderr are terminals). */
  interactive: boolean;
  width?: number;
}

export function printBlocks(blocks: readonly Block[], io: Pick<PlainIo, 'out' | 'err' | 'width'>): boolean {
  let failed = false;
  for (const b of blocks) {
    const text = blockText(b, io.width ?? 80) + '\n';
    if (b.kind === 'error' || b.kind === 'warning') io.err(text);
    else io.out(text);
    if (b.kind === 'error') failed = true;
  }
  return failed;
}

function progressLine(io: PlainIo): RunHooks['onProgress'] {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    const relax = p.surrogates ? `  ${formatSurrogates(p.surrogates)}` : '';
    io.err(`\rstep ${p.step}/${p.maxSteps}  ELBO ${fmt(p.smoothedElbo)}  ${Math.round(p.stepsPerSecond)} steps/s${relax}   `);
  };
}

/** Runs lines until end of input or :quit; 0 when no input failed, else 1. */
export async function runPlain(session: Session, io: PlainIo): Promise<number> {
  let failed = false;
  const rl = createInterface({ input: io.input, crlfDelay: Infinity, terminal: false });
  let fitAbort: AbortController | undefined;
  // Ctrl-C stops a running fit and keeps the session; otherwise it ends the script as usual.
  const onSigint = () => {
    if (fitAbort && !fitAbort.signal.aborted) fitAbort.abort();
    else {
      rl.close();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  const prompt = () => io.interactive && io.err(session.continuing ? '   ...> ' : 'tilde> ');
  const run = async (line: string | undefined): Promise<Result> => {
    fitAbort = new AbortController();
    const hooks: RunHooks = { signal: fitAbort.signal, onProgress: io.interactive ? progressLine(io) : undefined };
    const r = line === undefined ? await session.flush(hooks) : await session.submit(line, hooks);
    if (io.interactive) io.err('\r' + ' '.repeat(70) + '\r');
    fitAbort = undefined;
    return r;
  };
  try {
    prompt();
    for await (const line of rl) {
      const r = await run(line);
      if (printBlocks(r.blocks, io)) failed = true;
      if (r.quit) return failed ? 1 : 0;
      prompt();
    }
    const r = await run(undefined);
    if (printBlocks(r.blocks, io)) failed = true;
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    rl.close();
  }
}
