import { readFile } from 'node:fs/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsFailedEventQueue } from '../../adapters/aws/sqs-failed-event-queue.js';
import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { FailedEventFolder, LOCAL_RAW_BUCKET } from '../../adapters/local/failed-event-folder.js';
import { openLocalLake } from '../../adapters/local/local-lake.js';
import { openAwsLake } from '../../handlers/aws-lake.js';
import { ConfigError, readConfig } from '../../handlers/config.js';
import { bundledContracts } from '../../handlers/datasets.generated.js';
import { checkContractSet } from '../../pipeline/schema/datasets.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { rawKeysOf, type FailedEvent, type FailedEventQueue } from '../../pipeline/run/failed-events.js';
import { ingestObject, type IngestDeps } from '../../pipeline/run/ingest.js';
import { DEFAULT_RETRY_POLICY, retryingCatalog, retryingLake } from '../../pipeline/run/retry.js';
import { applyEnvironment } from '../environment.js';
import { lakeHoldsAnything } from '../lake-state.js';
import { createProgress, type ProgressOptions } from '../progress.js';

/**
 * `glueless redrive`: re-processes the events that failed after every retry — the failure destination queue on AWS
 * (`--queue-url`), else the local lake's `failed/` folder — and removes an event only once every object it names is
 * done (processed, rejected into quarantine, or gone). Events that fail again stay for the next redrive.
 */

export interface RedriveOptions {
  /** The FailedEventsQueue URL (stack output FailedEventsQueueUrl): redrive on AWS. Without it, the local lake. */
  queueUrl?: string;
  /** SAM's --env-vars file; its TransformFunction (and Parameters) entries name the AWS lake. */
  envVars?: string;
  lake: string;
  datasets: string;
  /** Redrive at most this many events. */
  limit?: number;
}

export interface RedriveSummary {
  events: number;
  succeeded: number;
  failed: Array<{ id: string; problems: string[] }>;
  /** What became of each object of the events that succeeded: `<key> processed`, `<key> skipped (…)`. */
  done: string[];
}

/** Where failed events wait and what re-processes them. */
interface RedriveSource {
  queue: FailedEventQueue;
  /** Records must name this bucket, as the handler requires events to come from RAW_BUCKET. */
  rawBucket: string;
  deps: IngestDeps;
  close(): void;
}

const BATCH = 10;

/**
 * `progressOptions`: the shared progress bar (progress.ts), drawn on a terminal (stderr by default), not on a pipe or
 * with `quiet`; what was redriven is the one summary line printed at the end.
 */
export async function redrive(
  options: RedriveOptions,
  print: (line: string) => void,
  progressOptions: Pick<ProgressOptions, 'stream' | 'quiet' | 'fps'> = {},
): Promise<RedriveSummary> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new GluelessError(`--limit must be a positive whole number, got ${options.limit}`);
  }
  if (options.envVars && !options.queueUrl) throw new GluelessError('--env-vars applies to an AWS redrive: give --queue-url too');
  const summary: RedriveSummary = { events: 0, succeeded: 0, failed: [], done: [] };
  if (!options.queueUrl && !(await lakeHoldsAnything(options.lake))) {
    print(summaryLine(summary));
    return summary;
  }
  const source = options.queueUrl ? await openAwsSource(options.queueUrl, options.envVars) : await openLocalSource(options);
  const kept: FailedEvent[] = [];
  try {
    const progress = createProgress({ ...progressOptions, print });
    let total = Math.min(limit, await source.queue.approximateCount());
    const bar = progress.bar('redrive', total, 'items');
    const seen = new Set<string>();
    try {
      while (summary.events < limit) {
        // An event seen earlier in this run (its visibility ran out) is not re-processed: it is already done or kept.
        const batch = (await source.queue.receive(Math.min(BATCH, limit - summary.events))).filter((e) => !seen.has(e.id));
        if (batch.length === 0) break;
        for (const event of batch) {
          seen.add(event.id);
          summary.events++;
          const outcome = await redriveEvent(event, source);
          if (outcome.problems.length === 0) {
            try {
              await source.queue.acknowledge(event);
            } catch (error) {
              outcome.problems.push(`processed, but not removed from the queue (${(error as Error).message})`);
            }
          }
          if (outcome.problems.length === 0) {
            summary.succeeded++;
            summary.done.push(...outcome.done);
          } else {
            summary.failed.push({ id: event.id, problems: outcome.problems });
            kept.push(event);
          }
          // Events that arrived after the count was taken grow the bar.
          if (summary.events > total) bar.setTotal((total = summary.events));
          bar.increment();
        }
      }
    } finally {
      bar.done();
      progress.stop();
      // Available to the next redrive at once, not only when their visibility timeout runs out.
      await Promise.allSettled(kept.map((event) => source.queue.release(event)));
    }
  } finally {
    source.close();
  }
  const failedCount = summary.failed.length;
  print(summaryLine(summary));
  if (failedCount > 0) {
    const named = summary.failed.map((f) => `${f.id} (${f.problems.join('; ')})`).join('; ');
    throw new GluelessError(`redrive: ${plural(failedCount, 'event')} failed again and ${failedCount === 1 ? 'stays' : 'stay'} queued: ${named}`);
  }
  return summary;
}

/** Objects named in the summary line, at most; the rest are counted. */
const NAMED_IN_SUMMARY = 5;

/** One line: how many events, and what became of the objects of those that succeeded (failures: the error names them). */
function summaryLine(summary: RedriveSummary): string {
  const counts = `redrive: ${plural(summary.events, 'event')}, ${summary.succeeded} succeeded, ${summary.failed.length} failed (kept for the next redrive)`;
  if (summary.done.length === 0) return counts;
  const named = summary.done.slice(0, NAMED_IN_SUMMARY).join('; ');
  const more = summary.done.length - NAMED_IN_SUMMARY;
  return `${counts}: ${named}${more > 0 ? `; and ${more} more` : ''}`;
}

/** Every raw object of the event, each on its own: one that fails does not stop the others. */
async function redriveEvent(event: FailedEvent, source: RedriveSource): Promise<{ done: string[]; problems: string[] }> {
  const done: string[] = [];
  const problems: string[] = [];
  let objects;
  try {
    objects = rawKeysOf(event.record);
  } catch (error) {
    return { done, problems: [(error as Error).message] };
  }
  if (objects.length === 0) done.push('an S3 test event: nothing to process');
  for (const { bucket, key } of objects) {
    try {
      if (bucket !== source.rawBucket) throw new GluelessError(`names bucket ${bucket}, but the raw bucket is ${source.rawBucket}`);
      const result = await ingestObject(key, source.deps);
      done.push(`${key} ${result.status}${result.status === 'skipped' ? ` (${result.reason})` : ''}`);
    } catch (error) {
      problems.push(`${key}: ${oneLine((error as Error).message)}`);
    }
  }
  return { done, problems };
}

/**
 * The local lake: its failed folder, its directory zones and DuckDB catalog, the contracts of the datasets directory
 * (the ones `glueless ingest` used when the events failed).
 */
async function openLocalSource(options: RedriveOptions): Promise<RedriveSource> {
  const contracts = await loadContractDirectory(options.datasets);
  const local = await openLocalLake(options.lake);
  return {
    queue: FailedEventFolder.inLake(local.root),
    rawBucket: LOCAL_RAW_BUCKET,
    deps: withRetries({ ...local, contracts }),
    close: () => undefined,
  };
}

/**
 * The AWS lake, built exactly as the transform function builds it, from its environment (the process's, overridden by
 * --env-vars). The contracts are the ones embedded in the deployed function (datasets.generated.ts), not datasets/:
 * a redrive must do what the function would have done, even when datasets/ holds edits not deployed yet.
 */
async function openAwsSource(queueUrl: string, envVarsFile: string | undefined): Promise<RedriveSource> {
  const restore = applyEnvironment(envVarsFile ? await functionEnvironment(envVarsFile) : {});
  try {
    let config;
    try {
      config = readConfig();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new GluelessError(`redrive --queue-url needs the function's environment (export it or pass --env-vars): ${error.message}`);
    }
    const aws = openAwsLake(config);
    const sqs = new SQSClient({});
    const contracts = checkContractSet(bundledContracts);
    return {
      queue: new SqsFailedEventQueue({ client: sqs, queueUrl }),
      rawBucket: aws.rawBucket,
      deps: withRetries({ ...aws, contracts }),
      close: () => {
        sqs.destroy();
        restore();
      },
    };
  } catch (error) {
    restore();
    throw error;
  }
}

/** Throttling and 5xx are retried with backoff, as in the function; a CLI has no deadline to stay within. */
function withRetries(deps: IngestDeps): IngestDeps {
  return { ...deps, lake: retryingLake(deps.lake, DEFAULT_RETRY_POLICY), catalog: retryingCatalog(deps.catalog, DEFAULT_RETRY_POLICY) };
}

/** SAM's --env-vars format: `{ "TransformFunction": { NAME: value }, "Parameters": { NAME: value } }`. */
async function functionEnvironment(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GluelessError(`${file}: --env-vars file not found`);
  }
  let parsed: Record<string, Record<string, unknown> | undefined>;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new GluelessError(`${file}: --env-vars file is not JSON (${(error as Error).message})`);
  }
  const entries = Object.entries({ ...parsed?.Parameters, ...parsed?.TransformFunction });
  return Object.fromEntries(entries.map(([name, value]) => [name, String(value)]));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function oneLine(text: string): string {
  return text.split('\n')[0]!;
}
