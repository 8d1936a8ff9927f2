// A table with a bold header; columns aligned as in `tilde fit`'s output.

import { Box, Text } from 'ink';
import { formatTable } from '../render.js';
import { useColour } from './theme.js';

export function Table({ header, rows, text = false }: { header: string[]; rows: string[][]; text?: boolean }) {
  const colour = useColour();
  const [head, ...body] = formatTable(header, rows, text).split('\n');
  return (
    <Box flexDirection="column">
      <Text bold={colour}>{head!.trimEnd()}</Text>
      {body.map((line, i) => (
        <Text key={i}>{line.trimEnd()}</Text>
      ))}
    </Box>
  );
}
