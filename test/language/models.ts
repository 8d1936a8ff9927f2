// The example models under models/, read once for the round-trip and mutation tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');

export const MODELS: { name: string; source: string }[] = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.tilde'))
      .sort()
      .map((name) => ({ name, source: readFileSync(join(dir, name), 'utf8') }))
  : [];
