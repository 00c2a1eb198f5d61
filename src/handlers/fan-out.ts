import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DatasetContract } from '../pipeline/contract/contract.js';
import { GluelessError } from '../pipeline/contract/errors.js';
import { checkContractSet, contractForKey } from '../pipeline/schema/datasets.js';
import { failureRecordFor } from '../pipeline/run/failed-events.js';
import { ingestObject } from '../pipeline/run/ingest.js';
import { planRanges } from '../pipeline/run/range-plan.js';
import { convertAndKeepRange, keptOutcomes, keptRanges, removeKeptOutcomes } from '../pipeline/run/range-results.js';
import { isRangeFailure, type RangeTask } from '../pipeline/run/range-task.js';
import { openAwsLake, type AwsLake } from './aws-lake.js';
import { readConfig } from './config.js';
import { bundledContracts } from './datasets.generated.js';
import { modelRefreshQueuer } from './model-refreshes.js';
import { logger } from './powertools.js';

/**
 * The steps of the fan-out state machine (statemachine/fan-out.asl.json), for a raw object too big for one Lambda:
 * `plan` cuts it into byte ranges, `range` converts one (a Distributed Map iteration), `settle` settles keys across
 * the ranges, writes the manifest, registers the partitions, publishes the notice and queues the refreshes of the gold
 * models reading the table, `fail` removes what the ranges wrote, publishes FAILED and hands the object to the failure
 * queue (for `glueless redrive`).
 */

/** A range as the Map hands it on: without the header, which every iteration gets once from the plan. */
export type RangeItem = Omit<RangeTask, 'header'>;

export interface FanOutPlan {
  key: string;
  dataset: string;
  header: string[];
  /** Empty when the object is not cut (gzip, a CSV header or quoting refused, JSON lines without line feeds): settle then converts it in one piece. */
  tasks: RangeItem[];
}

export type FanOutEvent =
  | { action: 'plan'; key: string }
  | { action: 'range'; key: string; dataset: string; header: string[]; task: RangeItem }
  | ({ action: 'settle' } & FanOutPlan)
  | ({ action: 'fail'; error?: string; notified?: boolean } & FanOutPlan);

const contracts = checkContractSet(bundledContracts);
let cachedAws: AwsLake | undefined;
let failureQueue: SQSClient | undefined;
const awsLake = () => (cachedAws ??= openAwsLake(readConfig()));
/** A settled run refreshes the gold models reading its table, as the transform does after a small file. */
const queueModelRefreshes = modelRefreshQueuer(contracts);

/** Bytes per range (FANOUT_RANGE_BYTES, default 512 MiB): a range must convert well within one invocation. */
function rangeBytes(): number {
  const bytes = Number(process.env.FANOUT_RANGE_BYTES ?? 512 * 1024 * 1024);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : 512 * 1024 * 1024;
}

function contractOf(key: string, dataset?: string): DatasetContract {
  const contract = dataset ? contracts.find((c) => c.name === dataset) : contractForKey(contracts, key);
  if (!contract) throw new GluelessError(`no dataset contract owns "${key}"`);
  return contract;
}

export async function fanOut(event: FanOutEvent): Promise<unknown> {
  const aws = awsLake();
  const { lake } = aws;
  switch (event.action) {
    case 'plan': {
      const contract = contractOf(event.key);
      const size = (await lake.raw.list(event.key)).find((o) => o.key === event.key)?.size ?? 0;
      const parts = Math.max(2, Math.ceil(size / rangeBytes()));
      const tasks = await planRanges(event.key, contract, lake, { parts, minRangeBytes: 1 });
      const plan: FanOutPlan = { key: event.key, dataset: contract.name, header: tasks?.[0]?.header ?? [], tasks: (tasks ?? []).map(({ header, ...item }) => (void header, item)) };
      logger.info('fan-out planned', { key: event.key, bytes: size, ranges: plan.tasks.length });
      return plan;
    }
    case 'range': {
      const outcome = await convertAndKeepRange(event.key, contractOf(event.key, event.dataset), lake, { ...event.task, header: event.header });
      return { index: event.task.index, ok: !isRangeFailure(outcome) };
    }
    case 'settle': {
      const contract = contractOf(event.key, event.dataset);
      const tasks = event.tasks.map((t) => ({ ...t, header: event.header }));
      const ranges = tasks.length > 0 ? { parts: tasks.length, tasks, run: keptRanges(lake), onInputError: 'reject' as const } : undefined;
      const result = await ingestObject(event.key, { ...aws, contracts: [contract], ...(ranges && { ranges }) });
      await removeKeptOutcomes(event.key, contract, lake, tasks);
      if (result.status === 'skipped') return { status: result.status, reason: result.reason };
      const { rowsRead, rowsWritten, rowsQuarantined, partitions } = result.manifest;
      logger.info('fan-out settled', { key: event.key, status: result.status, rowsRead, rowsWritten, rowsQuarantined });
      const counts = { status: result.status, rowsRead, rowsWritten, rowsQuarantined, partitions: partitions.length };
      if (result.status !== 'processed') return { ...counts, modelsQueued: [] };
      try {
        const refreshes = await queueModelRefreshes(event.key, result.manifest);
        return { ...counts, modelsQueued: refreshes.map((m) => m.model) };
      } catch (error) {
        // The run is settled, registered and announced, and its ranges' kept outcomes are gone: failing the step now
        // would send a FAILED notice after the SUCCEEDED one, and a retry of the step would find nothing to settle.
        logger.error('gold model refreshes not queued: the models downstream of this dataset keep their data until its next run', { key: event.key, error: error as Error });
        return { ...counts, modelsQueued: [], refreshError: (error as Error).message };
      }
    }
    case 'fail': {
      // Nothing half-visible: what the ranges completed goes, and the object waits in the failure queue.
      const contract = contractOf(event.key, event.dataset);
      const tasks = event.tasks.map((t) => ({ ...t, header: event.header }));
      const outcomes = await keptOutcomes(event.key, contract, lake, tasks);
      const written = outcomes.flatMap((o) => (isRangeFailure(o) ? [] : o.manifest.outputs.map((f) => f.key)));
      const parts = outcomes.flatMap((o) => (!isRangeFailure(o) && o.manifest.quarantineFile ? [o.manifest.quarantineFile] : []));
      await lake.processed.delete(written);
      await lake.quarantine.delete(parts);
      await removeKeptOutcomes(event.key, contract, lake, tasks);
      const error = event.error ?? 'the fan-out state machine failed';
      const source = lake.raw.locationOf(event.key);
      if (!event.notified) await aws.notifier.publish({ status: 'FAILED', dataset: contract.name, source, error }).catch(() => undefined);
      const queueUrl = process.env.FAILURE_QUEUE_URL?.trim();
      if (queueUrl) {
        const record = failureRecordFor(event.key, aws.rawBucket, new Error(error));
        await (failureQueue ??= new SQSClient({})).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
      }
      logger.error('fan-out failed', { key: event.key, error, removed: written.length });
      return { status: 'FAILED', error };
    }
  }
}

export const handler = middy(fanOut).use(injectLambdaContext(logger));
