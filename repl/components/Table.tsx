// A table with a bold header; columns aligned as in `tilde fit`'s output.

import { Box, Text } from 'ink';
import { table } from '../format.js';
import { useColour } from './theme.js';

export function Table({ header, rows }: { header: string[]; rows: string[][] }) {
  const colour = useColour();
  const [head, ...body] = table(header, rows).split('\n');
  return (
    <Box flexDirection="column">
      <Text bold={colour}>{head!.trimEnd()}</Text>
      {body.map((line, i) => (
        <Text key={i}>{line.trimEnd()}</Text>
      ))}
    </Box>
  );
}
