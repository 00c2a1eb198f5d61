#!/usr/bin/env node
// The `glueless` command: runs the compiled CLI (dist/cli/main.js), which `npm install` builds (`npm run build` by hand).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('glueless: the CLI is not built (dist/cli/main.js is missing): run `npm install` or `npm run build`\n');
  process.exit(1);
}
// Stack traces (--verbose) point into the TypeScript sources. Only then: caching every chunk's source map costs a
// command ~30 ms at start, and without --verbose an error is one line.
if (process.argv.includes('--verbose')) process.setSourceMapsEnabled?.(true);
// glueless supports Node 20 (README): the AWS SDK's notice that later SDK versions will need Node 22 is not for every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import(main.href);
