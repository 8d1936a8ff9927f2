// A line chart of a series (the ELBO trace), with its range on the y axis.

import { Box, Text } from 'ink';
import { lineChart } from '../plots.js';
import { useTone } from './theme.js';

export function LineChart({ title, values, xLabel, width = 60, height = 12 }: { title: string; values: number[]; xLabel: string; width?: number; height?: number }) {
  const tone = useTone();
  return (
    <Box flexDirection="column">
      <Text {...tone('accent')}>{title}</Text>
      {lineChart(values, width, height, xLabel).map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
    </Box>
  );
}
