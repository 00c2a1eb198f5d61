#!/usr/bin/env node
// The `glueless` command: runs the compiled CLI (dist/cli/main.js), which `npm install` builds (`npm run build` by hand).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('glueless: the CLI is not built (dist/cli/main.js is missing): run `npm install` or `npm run build`\n');
  process.exit(1);
}
process.setSourceMapsEnabled?.(true);
await import(main.href);
