import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDbLakeReader } from '../../adapters/local/duckdb-lake-reader.js';
import { openLocalLake } from '../../adapters/local/local-lake.js';
import { collectDashboardData, type DashboardData } from '../../dashboard/collect.js';
import { CHART_LIBRARY_FILE, renderPage } from '../../dashboard/page.js';

/**
 * `glueless dashboard`: the chart page over the local lake. `--out DIR` writes index.html with the data embedded and
 * the chart library beside it (opens from file://, offline); `--serve` answers on 127.0.0.1 and reads the lake on
 * every request, so a reload shows new runs.
 */

/** ECharts' own minified build, as published in the npm package. */
export function chartLibraryPath(): string {
  return createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
}

async function readDashboard(lakeDir: string): Promise<DashboardData> {
  const local = await openLocalLake(lakeDir);
  return collectDashboardData(new DuckDbLakeReader(local.catalog), local.root);
}

function summary(data: DashboardData): string {
  const sets = Object.entries(data.datasets);
  const missing = [...new Set(sets.flatMap(([, set]) => (set.status === 'missing' ? [set.model] : [])))];
  const failed = sets.flatMap(([key, set]) => (set.status === 'error' ? [`${key} (${set.model}: ${set.message})`] : []));
  return [
    missing.length > 0 ? `not in the lake yet: ${missing.join(', ')}` : 'every model is in the lake',
    ...failed.map((f) => `query failed: ${f}`),
  ].join('\n');
}

export async function writeDashboard(lakeDir: string, outDir: string, print: (line: string) => void): Promise<string> {
  const data = await readDashboard(lakeDir);
  await mkdir(outDir, { recursive: true });
  const page = path.resolve(outDir, 'index.html');
  await writeFile(page, renderPage(data));
  await copyFile(chartLibraryPath(), path.join(outDir, CHART_LIBRARY_FILE));
  const shown = path.relative(process.cwd(), page);
  print(`wrote ${shown.startsWith('..') ? page : shown} and ${CHART_LIBRARY_FILE} (${summary(data)})`);
  print(`open ${pathToFileURL(page).href}`);
  return page;
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

export async function serveDashboard(lakeDir: string, port: number, print: (line: string) => void): Promise<DashboardServer> {
  const library = await readFile(chartLibraryPath());
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url.pathname === `/${CHART_LIBRARY_FILE}`) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' }).end(library);
    } else if (url.pathname === '/' || url.pathname === '/index.html') {
      readDashboard(lakeDir).then(
        (data) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(renderPage(data)),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`glueless dashboard: ${error.message}\n`),
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  print(`serving the lake dashboard of ${path.resolve(lakeDir)} at ${url} (Ctrl-C stops it)`);
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
