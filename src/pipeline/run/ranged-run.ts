import type { DatasetContract } from '../contract/contract.js';
import { InputFileError } from '../contract/errors.js';
import type { Lake } from '../contract/ports.js';
import type { RunManifest } from '../contract/run-manifest.js';
import { planRanges } from './range-plan.js';
import { RangeInputError, settleRanges } from './range-settle.js';
import type { RangeOutcome, RangeRunner, RangeTask } from './range-task.js';
import { convertRange, processObject, rejectFile, type ProcessOptions } from './run.js';
import { ManifestBuilder } from './manifest.js';

/**
 * One source object converted in byte ranges at once (range-plan.ts cuts, a RangeRunner converts, range-settle.ts
 * settles), with the same lake as a serial run as the result. A file that is not cut (gzip, small, malformed) is
 * converted serially; so is one a range found fault with, so its rejection reads exactly as the serial run's.
 */

export interface RangeSetup {
  /** Ranges wanted: the workers available. */
  parts: number;
  run: RangeRunner;
  /** No range smaller than this (range-plan.ts has the default). */
  minRangeBytes?: number;
  /** Ranges already cut (a state machine planned them in a step of its own): the file is not cut again. */
  tasks?: RangeTask[];
  /**
   * A range found the data at fault: `serial` (default) converts the file again in one piece, so the rejection reads
   * exactly as always; `reject` rejects it with the first such range's reason (a file too big for one piece).
   */
  onInputError?: 'serial' | 'reject';
}

export async function processObjectInRanges(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  setup: RangeSetup,
  options: ProcessOptions = {},
): Promise<RunManifest> {
  const started = Date.now();
  const tasks = setup.tasks ?? (await planRanges(sourceKey, contract, lake, setup));
  if (!tasks) return processObject(sourceKey, contract, lake, options);
  try {
    return await settleRanges(sourceKey, contract, lake, tasks, await setup.run(sourceKey, contract, tasks), setup.run, started);
  } catch (error) {
    if (!(error instanceof RangeInputError)) throw error;
    if (setup.onInputError === 'reject') return rejectFile(sourceKey, contract, lake, new ManifestBuilder(contract.name, sourceKey, started), error.message);
    return processObject(sourceKey, contract, lake, options);
  }
}

/** Converts one range and reports how it went, failure included (what a worker thread or a Map iteration does). */
export async function rangeOutcome(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  task: RangeTask,
  options: ProcessOptions = {},
): Promise<RangeOutcome> {
  try {
    return await convertRange(sourceKey, contract, lake, task, options);
  } catch (error) {
    return { index: task.index, error: (error as Error).message, inputError: error instanceof InputFileError };
  }
}

/** Ranges converted in this thread, `concurrency` at a time: the tests' runner, and the fallback without workers. */
export function rangesInProcess(lake: Lake, options: ProcessOptions = {}, concurrency = 1): RangeRunner {
  return async (sourceKey, contract, tasks) => {
    const outcomes: RangeOutcome[] = [];
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < tasks.length; i = next++) outcomes.push(await rangeOutcome(sourceKey, contract, lake, tasks[i]!, options));
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    return outcomes;
  };
}
