// The input line: prompt, text and a block cursor; completion candidates under it.

import { Box, Text } from 'ink';
import { useTone } from './theme.js';

export function Prompt({ prompt, value, cursor, candidates = [], width = 80 }: { prompt: string; value: string; cursor: number; candidates?: string[]; width?: number }) {
  const tone = useTone();
  const at = value[cursor] ?? ' ';
  return (
    <Box flexDirection="column">
      <Text>
        <Text {...tone('prompt')}>{prompt}</Text>
        {value.slice(0, cursor)}
        <Text inverse>{at}</Text>
        {value.slice(cursor + 1)}
      </Text>
      {candidates.length > 0 && <Text {...tone('note')}>{columns(candidates, width)}</Text>}
    </Box>
  );
}

/** Candidates in columns across the terminal, like a shell's completion list. */
export function columns(items: string[], width: number): string {
  const w = Math.max(...items.map((s) => s.length)) + 2;
  const perLine = Math.max(1, Math.floor(width / w));
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).map((s) => s.padEnd(w)).join('').trimEnd());
  return lines.join('\n');
}
