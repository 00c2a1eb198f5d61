import { open, stat } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { resolveHeader } from '../../pipeline/read/header.js';
import { toSnakeCase } from '../../pipeline/contract/names.js';
import path from 'node:path';
import { ingestObject, type IngestResult } from '../../pipeline/run/ingest.js';
import { brokenContractError } from '../../adapters/local/contract-files.js';
import { FailedEventFolder, LOCAL_RAW_BUCKET } from '../../adapters/local/failed-event-folder.js';
import { failureRecordFor } from '../../pipeline/run/failed-events.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import type { LocalLake } from '../../adapters/local/local-lake.js';
import { formatBytes, formatCount, formatDuration, plural } from '../format.js';
import { createProgress, type ProgressBar } from '../progress.js';
import type { ObjectStore } from '../../pipeline/contract/ports.js';
import { defaultWorkers } from '../../adapters/threads/range-worker-pool.js';
import { localRangeWorkers } from '../../adapters/local/range-workers.js';
import type { RangeSetup } from '../../pipeline/run/ranged-run.js';
import { DEFAULT_MIN_RANGE_BYTES } from '../../pipeline/run/range-plan.js';

/**
 * `glueless ingest <file…>`: land each file in the raw zone under its dataset's prefix, then process that raw object
 * exactly as the S3 trigger does, `concurrency` files at a time. Every file is attempted; then, if any failed, one error
 * names them all. A file refused as a whole is taken out of the raw zone again (it is kept in quarantine with its
 * reason), so the raw zone holds only what was accepted.
 */
export async function ingestFiles(
  files: string[],
  datasetName: string | undefined,
  context: { local: LocalLake; contracts: DatasetContract[] },
  print: (line: string) => void,
  options: { concurrency?: number; quiet?: boolean; workers?: number } = {},
): Promise<RunManifest[]> {
  // A large plain CSV or JSON-lines file is cut into byte ranges for worker threads: the same lake as one thread makes.
  const sizes = await Promise.all(files.map(fileSize)); // every file must exist before anything is landed
  const workers = options.workers ?? defaultWorkers();
  const pool = workers > 1 ? localRangeWorkers(context.local.root, workers) : undefined;
  try {
    // Files big enough to be cut: the workers start now, while the first file is landed and cut.
    if (pool && sizes.some((size) => size >= 2 * DEFAULT_MIN_RANGE_BYTES)) pool.warm();
    return await ingestAll(files, sizes, datasetName, { ...context, ...(pool && { ranges: { parts: workers, run: pool.run } }) }, print, options);
  } finally {
    await pool?.close();
  }
}

async function ingestAll(
  files: string[],
  sizes: number[],
  datasetName: string | undefined,
  context: { local: LocalLake; contracts: DatasetContract[]; ranges?: RangeSetup },
  print: (line: string) => void,
  options: { concurrency?: number; quiet?: boolean },
): Promise<RunManifest[]> {
  const contracts = await Promise.all(files.map((file) => pickContract(context.contracts, datasetName, file)));
  const manifests: Array<RunManifest | undefined> = new Array(files.length);
  const failures: string[] = [];
  const progress = createProgress({ quiet: options.quiet, print });
  const overall = files.length > 1 ? progress.bar('files', files.length, 'items') : undefined;
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < files.length; index = next++) {
      const bar = progress.bar(path.basename(files[index]!), sizes[index]!, 'bytes');
      try {
        manifests[index] = await ingestFile(files[index]!, contracts[index]!, context, progress.visible ? bar : undefined);
        bar.done();
        progress.print(summarize(files[index]!, sizes[index]!, manifests[index]!, context.local.root));
        const failed = mostlyFailed(manifests[index]!);
        if (failed) failures.push(`${files[index]}: ${failed}`);
      } catch (error) {
        bar.done();
        const message = (error as Error).message;
        // Most messages already start with the file's name (as typed); the others get it.
        failures.push(files.length === 1 || message.startsWith(`${files[index]}: `) ? message : `${files[index]}: ${message}`);
      }
      overall?.increment();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, files.length)) }, worker));
  } finally {
    progress.stop();
  }
  if (failures.length === 1 && files.length === 1) throw new GluelessError(failures[0]!);
  if (failures.length > 0) throw new GluelessError(`${failures.length} of ${files.length} files failed: ${failures.join('; ')}`);
  return manifests as RunManifest[];
}

async function ingestFile(
  file: string,
  contract: DatasetContract,
  context: { local: LocalLake; ranges?: RangeSetup },
  bar?: ProgressBar,
): Promise<RunManifest> {
  const rawKey = `${contract.prefix}${path.basename(file)}`;
  const { raw } = context.local.lake;
  const existed = (await raw.list(rawKey)).some((o) => o.key === rawKey);
  await context.local.rawZone.copyIn(file, rawKey);
  let result: IngestResult;
  try {
    const lake = bar ? { ...context.local.lake, raw: readingWithProgress(raw, rawKey, bar) } : context.local.lake;
    result = await ingestObject(rawKey, {
      ...context.local,
      lake,
      contracts: [contract],
      ...(context.ranges && { ranges: context.ranges }),
      // The CSV byte lane's switch, for comparing it with the string path (read/csv-bytes.ts).
      ...(process.env.GLUELESS_BYTE_LANE === 'off' && { options: { byteLane: false } }),
    });
  } catch (error) {
    // Kept for `glueless redrive`, as the Lambda's failure destination keeps the event on AWS.
    await FailedEventFolder.inLake(context.local.root).record(failureRecordFor(rawKey, LOCAL_RAW_BUCKET, error));
    if (error instanceof Error) error.message = namedAsTyped(error.message, rawKey, file);
    throw error;
  }
  if (result.status === 'skipped') throw new GluelessError(namedAsTyped(result.reason, rawKey, file));
  if (result.status === 'rejected') {
    if (!existed) await raw.delete([rawKey]);
    const kept = pastablePath(path.join(context.local.root, 'quarantine', result.manifest.quarantineFile!));
    throw new GluelessError(`${namedAsTyped(result.manifest.rejectReason ?? 'rejected', rawKey, file)} (file kept in ${kept})`);
  }
  return { ...result.manifest, warnings: result.manifest.warnings.map((warning) => namedAsTyped(warning, rawKey, file)) };
}

/**
 * The core names a file by its raw key (`sales/orders/orders.csv`), as the Lambda must; the person who typed
 * `glueless ingest ./exports/orders.csv` knows it by that path: wherever the key stands as a name, the path replaces it.
 */
export function namedAsTyped(message: string, rawKey: string, file: string): string {
  const key = rawKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message.replace(new RegExp(`(^|[\\s"'(])${key}(?=[:\\s"',;)]|$)`, 'g'), (_, before: string) => `${before}${file}`);
}

/**
 * The raw zone, with reads of `key` counted into the bar: bytes read, and rows (lines) while the file is not gzip
 * (compressed bytes say nothing about lines).
 */
function readingWithProgress(raw: ObjectStore, key: string, bar: ProgressBar): ObjectStore {
  return Object.assign(Object.create(raw) as ObjectStore, {
    async read(readKey: string) {
      const source = await raw.read(readKey);
      if (readKey !== key) return source;
      return (async function* () {
        let bytes = 0;
        let lines = 0;
        let gzip: boolean | undefined;
        for await (const chunk of source) {
          gzip ??= chunk[0] === 0x1f && chunk[1] === 0x8b;
          bytes += chunk.byteLength;
          if (!gzip) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
          bar.update(bytes, gzip ? undefined : { rows: Math.max(0, lines - 1) });
          yield chunk;
        }
      })();
    },
  });
}

/**
 * `--dataset`; the only dataset; else the dataset whose declared columns the file's header fits (asking only when
 * several fit, then preferring the one the file is named after, e.g. `clickstream_events.jsonl.gz`); else the one that
 * matches most of the header, which then says what is missing.
 */
async function pickContract(contracts: DatasetContract[], name: string | undefined, file: string): Promise<DatasetContract> {
  if (name) {
    const found = contracts.find((c) => c.name === name);
    if (!found) {
      const broken = brokenContractError(contracts, name);
      if (broken) throw new GluelessError(broken.message);
      throw new GluelessError(`unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})`);
    }
    return found;
  }
  if (contracts.length === 1) return contracts[0]!;
  // The dataset the file is named after: its whole stem, or the longest dataset name it starts with (sales_orders_2024.csv).
  const stem = toSnakeCase(path.basename(file).replace(/(\.[A-Za-z0-9]{1,8})+$/, ''));
  const firstLine = await readFirstLine(file);
  const scored = contracts.map((contract) => ({ contract, ...headerFit(contract, firstLine, file) }));
  const fitting = scored.filter((s) => s.fits).map((s) => s.contract);
  if (fitting.length === 1) return fitting[0]!;
  const named = (fitting.length > 0 ? fitting : contracts)
    .filter((c) => stem === c.name || stem.startsWith(`${c.name}_`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (named) return named;
  if (fitting.length > 1) {
    throw new GluelessError(`${file}: its header fits several datasets (${fitting.map((c) => c.name).join(', ')}); choose one with --dataset`);
  }
  const best = scored.filter((s) => s.share > 0.5).sort((a, b) => b.share - a.share);
  if (best.length > 0 && (best.length === 1 || best[0]!.share > best[1]!.share)) return best[0]!.contract;
  throw new GluelessError(
    `${file}: its header fits none of the datasets (${contracts.map((c) => c.name).join(', ')}); choose one with --dataset, or draft one with glueless infer`,
  );
}

/** Whether the header line carries every declared column of the contract, and the share of them it carries. */
function headerFit(contract: DatasetContract, line: string, file: string): { fits: boolean; share: number } {
  let header: string[];
  try {
    if (contract.format === 'jsonl') {
      header = line.trimStart().startsWith('{') ? Object.keys(JSON.parse(line) as object) : [];
    } else {
      header = (parseCsv(line, { delimiter: contract.csv.delimiter, quote: contract.csv.quote, relax_column_count: true, to_line: 1 }) as string[][])[0] ?? [];
    }
  } catch {
    return { fits: false, share: 0 };
  }
  try {
    resolveHeader(header, contract, file);
    return { fits: header.length > 0, share: 1 };
  } catch {
    const present = new Set(header.map((h) => toSnakeCase(h.trim())));
    const declared = contract.columns.map((c) => toSnakeCase(c.source ?? c.name));
    return { fits: false, share: declared.filter((d) => present.has(d)).length / Math.max(1, declared.length) };
  }
}

/** The file's first line (gzip undone), read from its first 64 KiB. */
async function readFirstLine(file: string): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let bytes = buffer.subarray(0, bytesRead);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    const end = text.search(/\r?\n/);
    return end < 0 ? text : text.slice(0, end);
  } catch {
    return '';
  } finally {
    await handle.close();
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new GluelessError(`${file}: not a file`);
    return info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GluelessError(`${file}: file not found`);
    throw error;
  }
}

/**
 * A run that wrote some rows but quarantined most (a contract without a tight `file.max_error_ratio`): the command
 * exits non-zero, as for a rejected file, though the rows that passed stay written.
 */
export function mostlyFailed(manifest: RunManifest): string | undefined {
  if (manifest.rowsRead === 0 || manifest.rowsQuarantined * 2 <= manifest.rowsRead) return undefined;
  return (
    `most rows failed their checks (${formatCount(manifest.rowsQuarantined)} of ${formatCount(manifest.rowsRead)} quarantined); ` +
    `${formatCount(manifest.rowsWritten)} written`
  );
}

/** A path the user can paste back into a command: relative to the working directory when inside it. */
export function pastablePath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

export function summarize(file: string, size: number, manifest: RunManifest, lakeRoot?: string): string {
  const rules = Object.entries(manifest.quarantinedByRule)
    .map(([rule, count]) => `${rule} ${formatCount(count)}`)
    .join(', ');
  const lines = [
    `${file} → ${manifest.table}: ${plural(manifest.rowsRead, 'row')} read, ${formatCount(manifest.rowsWritten)} written, ` +
      `${formatCount(manifest.rowsQuarantined)} quarantined${rules ? ` (${rules})` : ''}; ${plural(manifest.partitions.length, 'partition')}, ` +
      `${plural(manifest.outputs.length, 'file')}, ${formatBytes(size)} → ${formatBytes(manifest.bytesOut)} in ${formatDuration(manifest.durationMs)}`,
  ];
  if (manifest.quarantineFile) {
    const where = lakeRoot ? pastablePath(path.join(lakeRoot, 'quarantine', manifest.quarantineFile)) : `quarantine/${manifest.quarantineFile}`;
    lines.push(`  quarantined rows: ${where}`);
  }
  for (const warning of manifest.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}
