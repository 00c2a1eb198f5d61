import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Where a worker thread's script is, and how one is started. The script sits beside the module that names it and has
 * that module's extension: `.js` in the built CLI (dist/cli/), `.mjs` in a Lambda bundle (one file per entry point at
 * the artifact root), `.ts` in the sources, which a worker thread can only load through tsx's loader (the tests,
 * `tsx src/cli/main.ts`).
 */

export interface WorkerScript {
  url: URL;
  /** What the worker builds its lake from (a directory, or bucket names): plain data, copied into the thread. */
  workerData: unknown;
}

/** `name` beside the module at `moduleUrl` (its `import.meta.url`), with that module's extension. */
export function siblingScript(moduleUrl: string, name: string): URL {
  const extension = path.extname(new URL(moduleUrl).pathname) || '.js';
  return new URL(`./${name}${extension}`, moduleUrl);
}

export function startWorker(script: WorkerScript): Worker {
  const { url, workerData } = script;
  // The environment as this module sees it (the Worker default is the process's own, which a Jest sandbox is not).
  const env = process.env;
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData, env });
  // The ES module build of tsx's API (require.resolve would name its CommonJS one).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(boot, { eval: true, workerData, env });
}
