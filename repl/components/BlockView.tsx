// One block of interpreter output, in its tone.

import { Text } from 'ink';
import type { Block } from '../session/types.js';
import { Histogram } from './Histogram.js';
import { LineChart } from './LineChart.js';
import { Table } from './Table.js';
import { useTone } from './theme.js';

export function BlockView({ block, width = 80 }: { block: Block; width?: number }) {
  const tone = useTone();
  switch (block.kind) {
    case 'table':
      return <Table header={block.header} rows={block.rows} text={block.text} />;
    case 'histogram':
      return <Histogram title={block.title} bins={block.bins} total={block.total} width={Math.max(10, Math.min(50, width - 30))} />;
    case 'chart':
      return <LineChart title={block.title} values={block.values} xLabel={block.xLabel} width={Math.max(10, Math.min(70, width - 14))} />;
    case 'error':
    case 'warning':
    case 'ok':
    case 'note':
      return <Text {...tone(block.kind)}>{block.text}</Text>;
    default:
      return <Text>{block.text}</Text>;
  }
}
