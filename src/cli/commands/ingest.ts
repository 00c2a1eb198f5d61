import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { ingestObject, type IngestResult } from '../../pipeline/run/ingest.js';
import { FailedEventFolder, LOCAL_RAW_BUCKET } from '../../adapters/local/failed-event-folder.js';
import { failureRecordFor } from '../../pipeline/run/failed-events.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { toSnakeCase } from '../../pipeline/contract/names.js';
import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import type { LocalLake } from '../../adapters/local/local-lake.js';
import { formatBytes } from '../format.js';

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
  options: { concurrency?: number; quiet?: boolean } = {},
): Promise<RunManifest[]> {
  const sizes = await Promise.all(files.map(fileSize)); // every file must exist before anything is landed
  const contracts = files.map((file) => pickContract(context.contracts, datasetName, file));
  const manifests: Array<RunManifest | undefined> = new Array(files.length);
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < files.length; index = next++) {
      try {
        manifests[index] = await ingestFile(files[index]!, contracts[index]!, context);
        print(summarize(files[index]!, sizes[index]!, manifests[index]!));
      } catch (error) {
        failures.push(files.length === 1 ? (error as Error).message : `${files[index]}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, files.length)) }, worker));
  if (failures.length === 1 && files.length === 1) throw new GluelessError(failures[0]!);
  if (failures.length > 0) throw new GluelessError(`${failures.length} of ${files.length} files failed: ${failures.join('; ')}`);
  return manifests as RunManifest[];
}

async function ingestFile(file: string, contract: DatasetContract, context: { local: LocalLake }): Promise<RunManifest> {
  const rawKey = `${contract.prefix}${path.basename(file)}`;
  const { raw } = context.local.lake;
  const existed = (await raw.list(rawKey)).some((o) => o.key === rawKey);
  const sink = await raw.openSink(rawKey);
  for await (const chunk of createReadStream(file)) await sink.write(chunk as Uint8Array);
  await sink.close();
  let result: IngestResult;
  try {
    result = await ingestObject(rawKey, { ...context.local, contracts: [contract] });
  } catch (error) {
    // Kept for `glueless redrive`, as the Lambda's failure destination keeps the event on AWS.
    await FailedEventFolder.inLake(context.local.root).record(failureRecordFor(rawKey, LOCAL_RAW_BUCKET, error));
    throw error;
  }
  if (result.status === 'skipped') throw new GluelessError(result.reason);
  if (result.status === 'rejected') {
    if (!existed) await raw.delete([rawKey]);
    throw new GluelessError(`${result.manifest.rejectReason} (file kept in quarantine/${result.manifest.quarantineFile})`);
  }
  return result.manifest;
}

/** `--dataset`, the only dataset, or the dataset the file is named after (`clickstream_events.jsonl.gz`). */
function pickContract(contracts: DatasetContract[], name: string | undefined, file: string): DatasetContract {
  if (name) {
    const found = contracts.find((c) => c.name === name);
    if (!found) throw new GluelessError(`unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})`);
    return found;
  }
  if (contracts.length === 1) return contracts[0]!;
  // The dataset the file is named after: its whole stem, or the longest dataset name it starts with (sales_orders_2024.csv).
  const stem = toSnakeCase(path.basename(file).replace(/(\.[A-Za-z0-9]{1,8})+$/, ''));
  const named = contracts
    .filter((c) => stem === c.name || stem.startsWith(`${c.name}_`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (named) return named;
  throw new GluelessError(`several datasets are defined (${contracts.map((c) => c.name).join(', ')}); choose one with --dataset`);
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

export function summarize(file: string, size: number, manifest: RunManifest): string {
  const rules = Object.entries(manifest.quarantinedByRule)
    .map(([rule, count]) => `${rule} ${count}`)
    .join(', ');
  const lines = [
    `${file} → ${manifest.table}: ${manifest.rowsRead} rows read, ${manifest.rowsWritten} written, ` +
      `${manifest.rowsQuarantined} quarantined${rules ? ` (${rules})` : ''}; ${manifest.partitions.length} partitions, ` +
      `${manifest.outputs.length} files, ${formatBytes(size)} → ${formatBytes(manifest.bytesOut)} in ${manifest.durationMs} ms`,
  ];
  if (manifest.quarantineFile) lines.push(`  quarantined rows: quarantine/${manifest.quarantineFile}`);
  for (const warning of manifest.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}
