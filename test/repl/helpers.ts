// A session over an in-memory file system and the real engine (tiny models fit in
// well under a second), with helpers that read its output as plain text.

import { ModelError } from '../../language/errors.js';
import { loadEngine, loadInspectors } from '../../repl/session/context.js';
import { blocksText } from '../../repl/render.js';
import { Session } from '../../repl/session/session.js';
import type { Block, Context, Inspectors, Result, RunHooks } from '../../repl/session/types.js';

export const TINY = 'data y: real[3]\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1)\n';
export const TINY_DATA = '{ "y": [1.0, 2.0, 3.0] }';

export interface Fake {
  files: Map<string, string>;
  ctx: Context;
}

export function fakeContext(files: Record<string, string> = {}, inspectors?: Inspectors): Fake {
  const map = new Map(Object.entries(files));
  const missing = (file: string, what: string) => new ModelError([{ severity: 'error', code: 'file', message: `${what} file not found`, file }]);
  const ctx: Context = {
    readText(file, what) {
      const t = map.get(file);
      if (t === undefined) throw missing(file, what);
      return t;
    },
    readData(file) {
      const t = map.get(file);
      if (t === undefined) throw missing(file, 'data');
      return JSON.parse(t) as Record<string, unknown>;
    },
    writeText(file, text) {
      map.set(file, text);
    },
    defaultDataFile(modelFile) {
      const f = modelFile.replace(/\.tilde$/, '.json');
      return map.has(f) ? f : undefined;
    },
    engine: loadEngine,
    inspectors: inspectors ? async () => inspectors : loadInspectors,
  };
  return { files: map, ctx };
}

export function text(r: Result | Block[]): string {
  return blocksText(Array.isArray(r) ? r : r.blocks);
}

export function kinds(r: Result): string[] {
  return r.blocks.map((b) => b.kind);
}

/** Feeds lines one by one; returns the text of the last result and all results. */
export async function feed(s: Session, lines: string[], hooks?: RunHooks): Promise<Result[]> {
  const out: Result[] = [];
  for (const l of lines) out.push(await s.submit(l, hooks));
  return out;
}

export function newSession(files: Record<string, string> = {}, inspectors?: Inspectors): { s: Session; fake: Fake } {
  const fake = fakeContext(files, inspectors);
  return { s: new Session(fake.ctx), fake };
}

/** A session with the tiny model typed in, its data loaded and quick fit settings. */
export async function tinySession(extra: Record<string, string> = {}): Promise<{ s: Session; fake: Fake }> {
  const r = newSession({ 'tiny.tilde': TINY, 'tiny.json': TINY_DATA, ...extra });
  await feed(r.s, [':load tiny.tilde', ':set steps=200 seed=1 draws=400 backend=cpu']);
  return r;
}
