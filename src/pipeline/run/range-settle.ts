import type { DatasetContract } from '../contract/contract.js';
import type { Lake } from '../contract/ports.js';
import type { RunManifest } from '../contract/run-manifest.js';
import { settleRangeKeys } from '../checks/range-keys.js';
import { rangeQuarantineKey } from '../write/layout.js';
import { openJoinedQuarantine, quarantineExtension } from '../write/quarantine.js';
import { resolveHeader } from '../read/header.js';
import { ignoredFieldsWarnings, type QuarantineFormat } from '../read/record-reader.js';
import { ManifestBuilder } from './manifest.js';
import { fileRuleViolation, rejectFile, replaceSourceManifest } from './run.js';
import { isRangeFailure, type RangeOutcome, type RangeResult, type RangeRunner, type RangeTask } from './range-task.js';

/**
 * The one step after a file's byte ranges were converted (by worker threads, or by a Step Functions Map): it makes
 * of them what the serial run would have made of the whole file. Keys are settled across ranges in file order (the
 * first occurrence wins); a range holding a row whose key an earlier range had is converted once more knowing those
 * lines, so the row is quarantined as `unique` with the earlier line; then the file rules are judged on the totals,
 * the quarantine parts are joined in file order, the ranges' ignored fields are worded as one warning, and the
 * source's manifest is written. If anything fails, every file
 * the ranges completed is removed again: nothing is left half-visible.
 */

/** A range found the data at fault: the file is to be judged whole (the serial run then rejects it with its reason). */
export class RangeInputError extends Error {
  constructor(readonly range: number, message: string) {
    super(message);
  }
}

export async function settleRanges(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  tasks: RangeTask[],
  outcomes: RangeOutcome[],
  rerun: RangeRunner,
  started = Date.now(),
): Promise<RunManifest> {
  let results = await resultsOf(lake, outcomes);
  const quarantine: QuarantineFormat = results[0]?.quarantine ?? { kind: 'csv' };
  try {
    const repeated = settleRangeKeys(results.map((r) => r.keys));
    const again = tasks.filter((t) => repeated[t.index]!.size > 0).map((t) => ({ ...t, repeated: [...repeated[t.index]!] }));
    if (again.length > 0) {
      const redone = await resultsOf(lake, await rerun(sourceKey, contract, again), results);
      for (const result of redone) {
        // A partition whose only rows were the repeated ones has no file this time: the first one goes.
        const kept = new Set(result.manifest.outputs.map((o) => o.key));
        const gone = results[result.index]!.manifest.outputs.filter((o) => !kept.has(o.key)).map((o) => o.key);
        if (gone.length > 0) await lake.processed.delete(gone);
        results[result.index] = result;
      }
    }
    const header = () => resolveHeader(tasks[0]!.header, contract, sourceKey).header;
    return await finish(sourceKey, contract, lake, results, quarantine, header, started);
  } catch (error) {
    await removeAll(lake, results);
    throw error;
  } finally {
    await lake.quarantine.delete(results.map((r) => rangeQuarantineKey(contract.name, sourceKey, r.index, quarantineExtension(quarantine))));
  }
}

/** The ranges' results in file order; if any range failed, the others' files are removed and the failure thrown. */
async function resultsOf(lake: Lake, outcomes: RangeOutcome[], alsoRemove: RangeResult[] = []): Promise<RangeResult[]> {
  const sorted = [...outcomes].sort((a, b) => a.index - b.index);
  const failures = sorted.filter(isRangeFailure);
  const results = sorted.filter((o): o is RangeResult => !isRangeFailure(o));
  if (failures.length === 0) return results;
  await removeAll(lake, [...results, ...alsoRemove]);
  const broken = failures.find((f) => !f.inputError);
  if (broken) throw new Error(broken.error);
  throw new RangeInputError(failures[0]!.index, failures[0]!.error);
}

async function removeAll(lake: Lake, results: RangeResult[]): Promise<void> {
  await Promise.allSettled([
    lake.processed.delete(results.flatMap((r) => r.manifest.outputs.map((o) => o.key))),
    lake.quarantine.delete(results.flatMap((r) => (r.manifest.quarantineFile ? [r.manifest.quarantineFile] : []))),
  ]);
}

async function finish(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  results: RangeResult[],
  quarantine: QuarantineFormat,
  header: () => string[],
  started: number,
): Promise<RunManifest> {
  const manifest = new ManifestBuilder(contract.name, sourceKey, started);
  for (const { manifest: part } of results) {
    manifest.rowsRead += part.rowsRead;
    manifest.rowsWritten += part.rowsWritten;
    manifest.bytesIn += part.bytesIn;
    for (const [rule, rows] of Object.entries(part.quarantinedByRule)) manifest.countQuarantined(rule as never, rows);
    manifest.outputs.push(...part.outputs);
  }
  manifest.warnings.push(...results[0]!.manifest.warnings);
  // First met first, as one reader of the whole file would have met them.
  manifest.warnings.push(...ignoredFieldsWarnings([...new Set(results.flatMap((r) => r.ignoredFields ?? []))]));
  const reason = fileRuleViolation(contract, manifest);
  if (reason) {
    await removeAll(lake, results);
    return rejectFile(sourceKey, contract, lake, manifest, `${sourceKey}: ${reason}`);
  }
  const quarantineFile = await joinQuarantine(sourceKey, contract, lake, results, quarantine, header);
  const result = manifest.finish({ quarantineFile });
  await replaceSourceManifest(lake, contract, result);
  return result;
}

/** The ranges' quarantine parts, in file order, as the one quarantine file of the source. */
async function joinQuarantine(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  results: RangeResult[],
  quarantine: QuarantineFormat,
  header: () => string[],
): Promise<string | undefined> {
  const parts = results.flatMap((r) => (r.manifest.quarantineFile ? [r.manifest.quarantineFile] : []));
  if (parts.length === 0) return undefined;
  const { key, sink } = await openJoinedQuarantine(quarantine, lake.quarantine, contract.name, sourceKey, header);
  try {
    for (const part of parts) for await (const chunk of await lake.quarantine.read(part)) await sink.write(chunk);
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return key;
}
