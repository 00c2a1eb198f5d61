import type { DatasetContract } from '../contract/contract.js';
import type { Lake } from '../contract/ports.js';
import { rangeResultKey } from '../write/layout.js';
import { isRangeFailure, type RangeOutcome, type RangeRunner, type RangeTask } from './range-task.js';
import { rangeOutcome, rangesInProcess } from './ranged-run.js';
import { readJson } from './run.js';

/**
 * Range outcomes kept in the processed zone between the steps of a state machine (ranges/<table>/<stem>/r0003.json,
 * outside every table): each Map iteration writes one, the settle step reads them all, then removes them.
 */

/** Converts one range and keeps its outcome; throws only when the failure was not the data's (so the step retries). */
export async function convertAndKeepRange(sourceKey: string, contract: DatasetContract, lake: Lake, task: RangeTask): Promise<RangeOutcome> {
  const outcome = await rangeOutcome(sourceKey, contract, lake, task);
  if (isRangeFailure(outcome) && !outcome.inputError) throw new Error(outcome.error);
  await lake.processed.write(rangeResultKey(contract.name, sourceKey, task.index), JSON.stringify(outcome), 'application/json');
  return outcome;
}

/** The kept outcomes of the given ranges; a range with none kept counts as failed. */
export async function keptOutcomes(sourceKey: string, contract: DatasetContract, lake: Lake, tasks: RangeTask[]): Promise<RangeOutcome[]> {
  return Promise.all(
    tasks.map(
      async (task) =>
        (await readJson<RangeOutcome>(lake.processed, rangeResultKey(contract.name, sourceKey, task.index))) ?? {
          index: task.index,
          error: `range ${task.index} left no result`,
          inputError: false,
        },
    ),
  );
}

export async function removeKeptOutcomes(sourceKey: string, contract: DatasetContract, lake: Lake, tasks: RangeTask[]): Promise<void> {
  await lake.processed.delete(tasks.map((t) => rangeResultKey(contract.name, sourceKey, t.index)));
}

/** The runner the settle step uses: the ranges' kept outcomes first; a range to convert again (keys settled) here. */
export function keptRanges(lake: Lake): RangeRunner {
  const here = rangesInProcess(lake);
  return (sourceKey, contract, tasks) =>
    tasks.some((t) => t.repeated) ? here(sourceKey, contract, tasks) : keptOutcomes(sourceKey, contract, lake, tasks);
}
