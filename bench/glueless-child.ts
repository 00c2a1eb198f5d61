/**
 * One glueless conversion, in its own process so its peak RSS is its own: land the CSV in a fresh local lake's raw
 * zone (not timed), then time `processObject` — the same core the Lambda runs, reading through the object-store port.
 * Prints one JSON line: { wallMs, maxRssKb, rows, bytes }.
 *
 *   [BENCH_NO_PRIMARY_KEY=1] [BENCH_MAX_BUFFERED_ROWS=n] node bench/.data/glueless-child.mjs <csv> <lake dir>   (bench/run.ts bundles it with esbuild, as the
 *                                                        Lambda is bundled; `node --import tsx` works too)
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadContractDirectory } from '../src/adapters/local/contract-files.js';
import { DirectoryObjectStore } from '../src/adapters/local/directory-store.js';
import type { Lake } from '../src/pipeline/contract/ports.js';
import { processObject } from '../src/pipeline/run/run.js';

const [csvFile, lakeDir] = process.argv.slice(2) as [string, string];
await rm(lakeDir, { recursive: true, force: true });
// The local lake's zones (as openLocalLake lays them out), without its DuckDB catalog: the conversion never touches it.
const zone = (name: string) => new DirectoryObjectStore(path.join(lakeDir, name));
const lake: Lake = { raw: zone('raw'), processed: zone('processed'), quarantine: zone('quarantine') };
const loaded = (await loadContractDirectory('datasets')).find((c) => c.name === 'sales_orders')!;
// BENCH_NO_PRIMARY_KEY=1: the same run without the duplicate-key check, to see what the key set costs.
const contract = process.env.BENCH_NO_PRIMARY_KEY ? { ...loaded, primaryKey: [] } : loaded;
const key = `${contract.prefix}bench.csv`;
const sink = await lake.raw.openSink(key);
for await (const chunk of createReadStream(csvFile, { highWaterMark: 1024 * 1024 })) await sink.write(chunk as Uint8Array);
await sink.close();

const started = performance.now();
const manifest = await processObject(key, contract, lake, process.env.BENCH_MAX_BUFFERED_ROWS ? { maxBufferedRows: Number(process.env.BENCH_MAX_BUFFERED_ROWS) } : {});
const wallMs = performance.now() - started;
const maxRssKb = process.resourceUsage().maxRSS;
const bytes = manifest.outputs.reduce((sum, o) => sum + o.bytes, 0);
console.log(JSON.stringify({ wallMs, maxRssKb, rows: manifest.rowsWritten, bytes, files: manifest.outputs.length }));
