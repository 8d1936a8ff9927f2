// A horizontal histogram: one bar per bin with its lower edge and share of draws.

import { Box, Text } from 'ink';
import { renderHistogram } from '../plots.js';
import type { Bin } from '../session/types.js';
import { useTone } from './theme.js';

export function Histogram({ title, bins, total, width = 40 }: { title: string; bins: Bin[]; total: number; width?: number }) {
  const tone = useTone();
  return (
    <Box flexDirection="column">
      <Text {...tone('accent')}>{title}</Text>
      {renderHistogram(bins, total, width).map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
    </Box>
  );
}
