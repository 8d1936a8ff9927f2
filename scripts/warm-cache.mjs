// Records V8's code cache for the batch bundle (bin/load-bundle.js): runs the
// commands a short `tilde` run is made of, output discarded, then saves what V8
// compiled. Run by scripts/bundle-cli.mjs after it builds dist/cli/batch.cjs.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchCache, loadBatch } from '../bin/load-bundle.js';

rmSync(batchCache, { force: true });
const cli = loadBatch();
if (!cli) throw new Error('dist/cli/batch.cjs is missing: run scripts/bundle-cli.mjs');
const models = fileURLToPath(new URL('../models/', import.meta.url));
const quiet = { out: () => {}, err: () => {}, isTTY: false };
for (const args of [
  ['fit', `${models}normal_normal.tilde`],
  ['check', `${models}coin.tilde`],
]) {
  const code = await cli.main(['node', 'tilde', ...args], quiet);
  if (code !== 0) throw new Error(`tilde ${args.join(' ')} exited with ${code}`);
}
cli.saveCache();
