#!/usr/bin/env node
/**
 * Compiles the CLI to dist/cli/ (`npm install` runs this as the package's `prepare` step; `npm run build` by hand):
 * src/cli/main.ts and everything it imports, bundled by esbuild into ES modules, one chunk per lazily imported command,
 * so a command loads only what it runs. npm packages stay outside the bundle and are loaded from node_modules as they
 * are (@duckdb/node-api is native). bin/glueless.js runs dist/cli/main.js. Plain JavaScript: it runs before anything
 * else is built.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_OUTDIR = path.join(root, 'dist', 'cli');

/** Builds into a fresh directory, then swaps it in, so a CLI running meanwhile never sees half a build. */
export async function buildCli() {
  const outdir = `${CLI_OUTDIR}.tmp-${process.pid}`;
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    // Worker threads' scripts sit beside main.js (see adapters/threads/worker-script.ts): a range worker of `ingest
    // --workers`, and the thread that writes a run's small files (adapters/local/background-file-writer.ts).
    entryPoints: {
      main: 'src/cli/main.ts',
      'range-worker': 'src/adapters/local/range-worker.ts',
      'file-writer-thread': 'src/adapters/local/file-writer-thread.ts',
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Pure-JavaScript packages are bundled (a command then loads a few files, not hundreds: zod alone was ~100
    // modules and 70 ms of every start); what is native, or loaded only by some commands, stays in node_modules.
    external: ['@duckdb/node-bindings', '@duckdb/node-bindings-*', 'node-sql-parser', '@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'aws-xray-sdk-core', 'esbuild', 'tsx'],
    mainFields: ['module', 'main'],
    // Bundled CommonJS packages call `require` for Node's own modules; an ES module has none unless given one.
    banner: { js: "import { createRequire as __gluelessCreateRequire } from 'node:module'; const require = __gluelessCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    outExtension: { '.js': '.js' },
    logLevel: 'warning',
  });
  const old = `${CLI_OUTDIR}.old-${process.pid}`;
  await rename(CLI_OUTDIR, old).catch(() => undefined);
  await rename(outdir, CLI_OUTDIR);
  await rm(old, { recursive: true, force: true });
  return path.join(CLI_OUTDIR, 'main.js');
}

/** Builds unless dist/cli/main.js is newer than every file under src/ and package.json (what the tests call). */
export async function buildCliIfStale() {
  const built = await stat(path.join(CLI_OUTDIR, 'main.js')).then((s) => s.mtimeMs, () => 0);
  const sources = (await readdir(path.join(root, 'src'), { recursive: true })).map((f) => path.join(root, 'src', f));
  const mtimes = await Promise.all([...sources, path.join(root, 'package.json')].map((f) => stat(f).then((s) => s.mtimeMs, () => 0)));
  if (mtimes.some((m) => m >= built)) await buildCli();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const started = Date.now();
  const main = await buildCli();
  process.stdout.write(`glueless CLI built: ${path.relative(process.cwd(), main)} (${Date.now() - started} ms)\n`);
}
