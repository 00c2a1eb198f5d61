import { INGEST_TIME, type DatasetContract } from '../contract/contract.js';
import { DuplicateKeyCheck, type RangeKeys } from '../checks/rules.js';
import { openRecordReader } from '../read/open-reader.js';
import { ignoredFieldsWarnings, type QuarantineFormat, type SourceRecord } from '../read/record-reader.js';
import { decompressed } from '../read/decompress.js';
import { InputFileError, ObjectNotFoundError } from '../contract/errors.js';
import { parquetKey, parquetKeysFor, rejectedFileKey, rejectionReasonKey, sourceManifestKey } from '../write/layout.js';
import { ManifestBuilder } from './manifest.js';
import type { RunManifest } from '../contract/run-manifest.js';
import { partitionPathFor, fileColumns } from '../write/partition.js';
import { PartitionedParquetWriter } from '../write/partitioned-writer.js';
import type { Lake, ObjectStore } from '../contract/ports.js';
import { quarantineWriterFor } from '../write/quarantine.js';
import { LINEAGE_COLUMNS } from '../contract/lineage.js';
import { TableKeys } from '../checks/table-keys.js';
import { RowTyper, type RowRejection, type RowValue } from '../typing/typed-row.js';
import type { RangeResult, RangeTask } from './range-task.js';
import { CsvByteBatch } from '../read/csv-bytes.js';

/**
 * One raw object in, Parquet partitions and a quarantine file out: the whole conversion, the same for the Lambda, the
 * CLI and the tests. Every row read is either written or quarantined with its reason. A file refused as a whole (bad
 * header, malformed CSV, not UTF-8, a file-level rule) has no Parquet written: it is kept whole in the quarantine zone
 * beside its reason, and the manifest's outcome is `rejected` with a one-line reason naming the file and line.
 */

export interface ProcessOptions {
  /** Rows buffered across all partitions before the largest is written early (memory bound). */
  maxBufferedRows?: number;
  /**
   * CSV through the byte lane (read/csv-bytes.ts: fields parsed from the bytes, no string per field), on by default;
   * off reads every record as strings. The lake is the same either way.
   */
  byteLane?: boolean;
}

export async function processObject(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  options: ProcessOptions = {},
): Promise<RunManifest> {
  const manifest = new ManifestBuilder(contract.name, sourceKey);
  try {
    return await convert(sourceKey, contract, lake, options, manifest);
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    return rejectFile(sourceKey, contract, lake, manifest, error.message);
  }
}

/**
 * One byte range of a plain (not gzip) CSV or JSON-lines object, converted like a whole file except for what only the whole file
 * can settle (range-settle.ts): keys against earlier ranges, file rules, the final quarantine file and the manifest.
 * Its Parquet files are named for the range; its quarantined rows go to a part file the settle step joins.
 */
export async function convertRange(sourceKey: string, contract: DatasetContract, lake: Lake, task: RangeTask, options: ProcessOptions = {}): Promise<RangeResult> {
  const manifest = new ManifestBuilder(contract.name, sourceKey);
  const out: RangeOut = {};
  const result = await convert(sourceKey, contract, lake, options, manifest, { task, out });
  const ignoredFields = out.ignoredFields!;
  return { index: task.index, manifest: result, keys: out.keys!, quarantine: out.quarantine!, ...(ignoredFields.length > 0 && { ignoredFields }) };
}

/** What a range learns beyond its manifest, for the settle step. */
interface RangeOut {
  keys?: RangeKeys;
  ignoredFields?: string[];
  quarantine?: QuarantineFormat;
}

async function convert(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  options: ProcessOptions,
  manifest: ManifestBuilder,
  range?: { task: RangeTask; out: RangeOut },
): Promise<RunManifest> {
  const task = range?.task;
  const source = task
    ? countBytes(await lake.raw.readRange!(sourceKey, task.start, task.end), manifest)
    : decompressed(countBytes(await lake.raw.read(sourceKey), manifest), {
        fileName: sourceKey,
        maxUncompressedBytes: contract.csv.maxUncompressedBytes,
        maxRatio: contract.csv.maxCompressionRatio,
      });
  const reader = await openRecordReader(
    source,
    {
      fileName: sourceKey,
      contract,
      // A range after the first starts on data: the header read before the file was cut comes with it.
      ...(task && { range: { line: task.line, byte: task.start, ...(task.index > 0 && { header: task.header }) } }),
    },
    options.byteLane !== false,
  );
  const headerMap = reader.fields;
  if (!task || task.index === 0) manifest.warnings.push(...headerMap.warnings);

  const typer = new RowTyper(contract, headerMap);
  const rowColumns = [...contract.columns, ...contract.derived].map((c) => c.name);
  const duplicates = new DuplicateKeyCheck(contract.primaryKey.map((k) => rowColumns.indexOf(k)));
  if (range) {
    range.out.keys = duplicates.recordNewKeys();
    range.out.quarantine = reader.quarantine;
  }
  const repeated = new Map(task?.repeated ?? []);
  const byIngestTime = contract.partition.byIngestDate && contract.partition.column === INGEST_TIME;
  const ingestValue = byIngestTime ? manifest.started : Math.floor(manifest.started / 86_400_000);
  const partitionIndex = contract.partition.byIngestDate ? -1 : rowColumns.indexOf(contract.partition.column);
  const partitionKind =
    partitionIndex < 0 ? (byIngestTime ? 'timestamp' : 'date') : (contract.columns[partitionIndex]!.type.kind as 'date' | 'timestamp');
  const columns = fileColumns(contract);
  const written = recordingCompletedObjects(lake.processed);
  const writer = new PartitionedParquetWriter({
    store: written.store,
    columns,
    rowIndexes: columns.map((c) => [...rowColumns, ...LINEAGE_COLUMNS.map((l) => l.name)].indexOf(c.name)),
    keyFor: parquetKeysFor(contract.name, sourceKey, task?.index),
    rowGroupSize: contract.rowGroupSize,
    // Buffered rows are compact (tens of bytes each): enough of them that 100 open partitions still get row groups of
    // thousands of rows. The byte bound (64 MiB) holds wide tables in check.
    maxBufferedRows: options.maxBufferedRows ?? Math.max(contract.rowGroupSize * 4, 250_000),
  });
  const quarantine = quarantineWriterFor(reader.quarantine, lake.quarantine, contract.name, sourceKey, headerMap.header, task?.index);

  const values: RowValue[] = new Array(rowColumns.length + LINEAGE_COLUMNS.length).fill(null);
  // Lineage, the same for every row of the file: after the typed columns, which the typer alone writes. The ingest
  // time is when the raw object was written, so processing it again writes identical files.
  values[rowColumns.length] = sourceKey;
  values[rowColumns.length + 1] = await ingestTimeOf(lake.raw, sourceKey, manifest.started);
  const partitionPaths = new Map<number, string>();
  const partitionPathOf = (value: number) => {
    let path = partitionPaths.get(value);
    if (path === undefined) partitionPaths.set(value, (path = partitionPathFor(contract, value, partitionKind)));
    return path;
  };
  const tableKeys =
    contract.primaryKeyScope === 'table'
      ? new TableKeys(lake.processed, contract, parquetKey(contract.name, '', sourceKey).split('/').pop()!, contract.primaryKey.map((k) => rowColumns.indexOf(k)))
      : undefined;
  // A row comes as a record of strings, or as the index of a record in the current byte batch (made a record of
  // strings only if it is quarantined).
  let byteBatch: CsvByteBatch | undefined;
  const recordOf = (row: SourceRecord | number): SourceRecord => (typeof row === 'number' ? byteBatch!.record(row) : row);
  const decide = (row: SourceRecord | number, rejection: RowRejection | null, path: string): Promise<void> | undefined => {
    if (rejection) {
      manifest.countQuarantined(rejection.rule);
      return quarantine.quarantineRow(recordOf(row), rejection);
    }
    manifest.rowsWritten++;
    return writer.add(values, path);
  };
  const acrossTable = (row: SourceRecord | number, path: string): Promise<void> | undefined => {
    const holder = tableKeys!.holderOf(values, path);
    return decide(row, holder === undefined ? null : tableDuplicateRejection(contract, values, rowColumns, holder), path);
  };
  // Returns a promise only when the row needed I/O: most rows are handled without an await.
  const handle = (row: SourceRecord | number, line: number, typed: RowRejection | null): Promise<void> | undefined => {
    manifest.rowsRead++;
    let rejection = typed;
    if (!rejection && duplicates.enabled) {
      // A row whose key an earlier range holds (found when the ranges were settled) is kept under that earlier line.
      const known = repeated.size > 0 ? repeated.get(line) : undefined;
      const earlier = duplicates.firstLineOf(values, known ?? line) ?? known;
      if (earlier !== undefined) rejection = duplicateRejection(contract, values, rowColumns, earlier);
    }
    const path = rejection ? '' : partitionPathOf(partitionIndex < 0 ? ingestValue : (values[partitionIndex] as number));
    if (!rejection && tableKeys) {
      if (!tableKeys.isLoaded(path)) return tableKeys.load(path).then(() => acrossTable(row, path));
      return acrossTable(row, path);
    }
    return decide(row, rejection, path);
  };
  const handleRecord = (record: SourceRecord) =>
    handle(record, record.line, record.malformed === undefined ? typer.type(record.fields, values) : malformedRejection(record));

  try {
    const { batches } = reader;
    for (let batch = await batches.next(); !batch.done; batch = await batches.next()) {
      const rows = batch.value;
      if (rows instanceof CsvByteBatch) {
        byteBatch = rows;
        for (let r = rows.first; r < rows.count; r++) {
          const pending = handle(r, rows.lines[r]!, typer.typeBytes(rows, r, values));
          if (pending) await pending;
        }
        continue;
      }
      for (const record of rows) {
        const pending = handleRecord(record);
        if (pending) await pending;
      }
    }
    // A range's ignored fields are worded once for the whole file, when the ranges are settled.
    if (range) range.out.ignoredFields = reader.ignoredFields();
    else manifest.warnings.push(...ignoredFieldsWarnings(reader.ignoredFields()));
    const reason = task ? undefined : fileRuleViolation(contract, manifest);
    if (reason) throw new InputFileError(`${sourceKey}: ${reason}`);
    manifest.outputs.push(...(await writer.finish()));
  } catch (error) {
    // Nothing half-visible: files this attempt completed before it failed are removed again.
    await Promise.allSettled([writer.abort(), quarantine.abort(), lake.processed.delete(written.keys)]);
    throw error;
  }
  const quarantineFile = await quarantine.close();
  const result = manifest.finish({ quarantineFile });
  if (!task) await replaceSourceManifest(lake, contract, result);
  return result;
}

async function ingestTimeOf(raw: ObjectStore, key: string, fallback: number): Promise<number> {
  const info = (await raw.list(key)).find((o) => o.key === key);
  return info?.lastModified ? info.lastModified.getTime() : fallback;
}

/** Wraps a store so the keys of objects completed through it can be removed if the run fails. */
function recordingCompletedObjects(store: ObjectStore): { store: ObjectStore; keys: string[] } {
  const keys: string[] = [];
  const recording: ObjectStore = Object.create(store) as ObjectStore;
  recording.openSink = async (key, contentType) => {
    const sink = await store.openSink(key, contentType);
    return {
      write: (chunk) => sink.write(chunk),
      abort: () => sink.abort(),
      close: async () => {
        const bytes = await sink.close();
        keys.push(key);
        return bytes;
      },
    };
  };
  recording.write = async (key, body, contentType) => {
    const bytes = await store.write(key, body, contentType);
    keys.push(key);
    return bytes;
  };
  return { store: recording, keys };
}

/** The file-level rule the run broke (min_rows, max_error_ratio), if any. */
export function fileRuleViolation(contract: DatasetContract, manifest: ManifestBuilder): string | undefined {
  const { minRows, maxErrorRatio } = contract.file;
  if (manifest.rowsRead < minRows) return `${manifest.rowsRead} rows, fewer than the ${minRows} the contract requires (file.min_rows)`;
  const ratio = manifest.rowsRead === 0 ? 0 : manifest.rowsQuarantined / manifest.rowsRead;
  if (ratio > maxErrorRatio) {
    return `${manifest.rowsQuarantined} of ${manifest.rowsRead} rows failed checks (${(ratio * 100).toFixed(1)}%), above file.max_error_ratio ${maxErrorRatio}`;
  }
  return undefined;
}

/**
 * A file refused as a whole: nothing of it is written, it is kept whole in the quarantine zone beside a reason file,
 * and whatever an earlier version of the same key produced is removed (the latest version holds no valid rows).
 */
export async function rejectFile(sourceKey: string, contract: DatasetContract, lake: Lake, manifest: ManifestBuilder, reason: string): Promise<RunManifest> {
  const copyKey = rejectedFileKey(contract.name, sourceKey);
  const sink = await lake.quarantine.openSink(copyKey);
  try {
    for await (const chunk of await lake.raw.read(sourceKey)) await sink.write(chunk);
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  manifest.rejectAll();
  const result = manifest.finish({ outcome: 'rejected', rejectReason: reason, quarantineFile: copyKey });
  await lake.quarantine.write(rejectionReasonKey(contract.name, sourceKey), JSON.stringify(result, null, 2), 'application/json');
  await replaceSourceManifest(lake, contract, result);
  return result;
}

function malformedRejection(record: SourceRecord): RowRejection {
  const text = record.text ?? '';
  return { rule: 'malformed', column: '', value: text.length > 200 ? `${text.slice(0, 197)}...` : text, message: `line ${record.line}: ${record.malformed}` };
}

function tableDuplicateRejection(contract: DatasetContract, values: RowValue[], rowColumns: string[], holder: string): RowRejection {
  const key = contract.primaryKey.map((k) => String(values[rowColumns.indexOf(k)])).join(', ');
  return {
    rule: 'unique',
    column: contract.primaryKey.join(','),
    value: key,
    message: `${contract.primaryKey.join(', ')} ${key} is already in the table (${holder.split('/').pop()})`,
  };
}

function duplicateRejection(contract: DatasetContract, values: RowValue[], rowColumns: string[], earlierLine: number): RowRejection {
  const key = contract.primaryKey.map((k) => String(values[rowColumns.indexOf(k)])).join(', ');
  return {
    rule: 'unique',
    column: contract.primaryKey.join(','),
    value: key,
    message: `duplicate ${contract.primaryKey.join(', ')} ${key} (first seen on line ${earlierLine})`,
  };
}

/**
 * Records what this source produced and deletes what an earlier run of the same key produced that this one did not
 * (a changed file may no longer touch a partition): the lake then holds exactly the latest version's rows.
 */
export async function replaceSourceManifest(lake: Lake, contract: DatasetContract, manifest: RunManifest): Promise<void> {
  const key = sourceManifestKey(contract.name, manifest.source);
  const previous = await readPreviousManifest(lake, key);
  if (previous) {
    const current = new Set(manifest.outputs.map((o) => o.key));
    const stale = previous.outputs.map((o) => o.key).filter((k) => !current.has(k));
    if (stale.length > 0) await lake.processed.delete(stale);
    if (previous.quarantineFile && previous.quarantineFile !== manifest.quarantineFile) {
      await lake.quarantine.delete([previous.quarantineFile]);
    }
    if (previous.outcome === 'rejected' && manifest.outcome !== 'rejected') {
      await lake.quarantine.delete([rejectionReasonKey(contract.name, manifest.source)]);
    }
  }
  await lake.processed.write(key, JSON.stringify(manifest, null, 2), 'application/json');
}

function readPreviousManifest(lake: Lake, key: string): Promise<RunManifest | undefined> {
  return readJson<RunManifest>(lake.processed, key);
}

/** A small JSON object of the lake (a manifest, a schema record), or undefined when there is none. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  try {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await store.read(key)) chunks.push(chunk);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

async function* countBytes(source: AsyncIterable<Uint8Array>, manifest: ManifestBuilder): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    manifest.bytesIn += chunk.byteLength;
    yield chunk;
  }
}
