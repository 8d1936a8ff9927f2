/// <reference types="node" />
// Input history across sessions: one line per entry in a file under the home
// directory (~/.tilde_history, or $TILDE_HISTORY). Failing to read or write it
// never disturbs the session: history is a convenience.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const MAX_HISTORY = 1000;

export function defaultHistoryFile(env: Record<string, string | undefined> = process.env): string {
  return env['TILDE_HISTORY'] || join(env['HOME'] || homedir(), '.tilde_history');
}

export class History {
  private lines: string[];

  constructor(readonly file: string | undefined) {
    this.lines = file ? load(file) : [];
  }

  get entries(): readonly string[] {
    return this.lines;
  }

  add(line: string): void {
    if (!line.trim() || this.lines[this.lines.length - 1] === line) return;
    this.lines.push(line);
    if (!this.file) return;
    try {
      if (this.lines.length > MAX_HISTORY * 1.5) {
        // Trim now and then rather than rewriting the file on every line.
        this.lines = this.lines.slice(-MAX_HISTORY);
        writeFileSync(this.file, this.lines.join('\n') + '\n');
      } else appendFileSync(this.file, line + '\n');
    } catch {
      // A read-only home directory should not cost the user their session.
    }
  }
}

function load(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-MAX_HISTORY);
  } catch {
    return [];
  }
}
