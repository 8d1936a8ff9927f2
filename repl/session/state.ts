// What a session holds: the program as the chunks it was built from (a loaded
// file, then typed statements), its checked form, the data, fit settings and the
// last fit. The program is always valid: a change that does not check is refused.

import type { CheckedProgram, Diagnostic, Fit, FitOptions } from '../../index.js';
import type { OptionNameOn } from '../../inference/options.js';

export interface Chunk {
  text: string;
  /** Where the text came from: a model file, or '<repl>' for typed input. */
  origin: string;
}

/** What :set can change: the fit options the option table gives the REPL. */
export type Settings = Pick<FitOptions, OptionNameOn<'repl'>>;

export class SessionState {
  chunks: Chunk[] = [];
  checked?: CheckedProgram;
  /** Warnings of the current program (shown when they arise, kept for the fit). */
  warnings: Diagnostic[] = [];
  modelFile?: string;
  data: Record<string, unknown> = {};
  dataFile?: string;
  settings: Settings = {};
  fit?: Fit;
  /** The program text the fit was made from, to tell the user when the model moved on. */
  fitSource?: string;
  constructor(readonly version = '0.1.0') {}

  get source(): string {
    return joinChunks(this.chunks);
  }

  /** The file name diagnostics of the whole program carry. */
  get file(): string {
    return this.modelFile ?? '<repl>';
  }

  get fitIsStale(): boolean {
    return this.fit !== undefined && this.fitSource !== this.source;
  }
}

export function joinChunks(chunks: readonly Chunk[]): string {
  return chunks.map((c) => c.text).join('\n');
}
