import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { LocalLake } from '../../adapters/local/local-lake.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { ingestObject } from '../../pipeline/run/ingest.js';
import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import { replayableCsv, replayableJsonLines, replayKey } from '../../pipeline/run/replay.js';
import { mostlyFailed, pastablePath, summarize } from './ingest.js';

/**
 * `glueless replay <quarantine file>`: after fixing the values in a quarantine file, land its rows (without the error
 * columns) in the raw zone under the dataset's `replay/` prefix and process them like any upload. Rows still wrong
 * go back to quarantine with their new reasons.
 */
export async function replayQuarantineFile(
  file: string,
  datasetName: string | undefined,
  context: { local: LocalLake; contracts: DatasetContract[] },
  print: (line: string) => void,
): Promise<RunManifest> {
  file = await inLakeIfNotHere(file, context.local.root);
  const contract = datasetFor(file, datasetName, context.contracts);
  const rawKey = replayKey(contract.prefix, file);
  const jsonl = contract.format === 'jsonl';
  const sink = await context.local.lake.raw.openSink(rawKey, jsonl ? 'application/x-ndjson' : 'text/csv');
  let bytes = 0;
  try {
    for await (const chunk of (jsonl ? replayableJsonLines : replayableCsv)(openFile(file), file)) {
      bytes += chunk.byteLength;
      await sink.write(chunk);
    }
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  const result = await ingestObject(rawKey, { ...context.local, contracts: [contract] });
  if (result.status === 'skipped') throw new GluelessError(result.reason);
  if (result.status === 'rejected') {
    const kept = pastablePath(path.join(context.local.root, 'quarantine', result.manifest.quarantineFile!));
    throw new GluelessError(`${result.manifest.rejectReason} (kept in ${kept})`);
  }
  print(summarize(file, bytes, result.manifest, context.local.root));
  const failed = mostlyFailed(result.manifest);
  if (failed) throw new GluelessError(`${file}: ${failed}`);
  return result.manifest;
}

/** The dataset: `--dataset`, or the table directory the quarantine file sits in (`quarantine/<table>/…`). */
function datasetFor(file: string, name: string | undefined, contracts: DatasetContract[]): DatasetContract {
  const parts = path.resolve(file).split(path.sep);
  const candidates = name ? [name] : parts.slice(-3, -1).reverse();
  for (const candidate of candidates) {
    const found = contracts.find((c) => c.name === candidate);
    if (found) return found;
  }
  throw new GluelessError(
    name ? `unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})` : `${file}: cannot tell its dataset from the path; pass --dataset`,
  );
}

/** `quarantine/<table>/…csv` as an earlier version printed it: a path in the lake, when no such file is here. */
async function inLakeIfNotHere(file: string, lakeRoot: string): Promise<string> {
  if (path.isAbsolute(file) || (await exists(file))) return file;
  const inLake = path.join(lakeRoot, file);
  return (await exists(inLake)) ? inLake : file;
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function* openFile(file: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(file)) yield chunk as Uint8Array;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GluelessError(`${file}: file not found`);
    throw error;
  }
}
