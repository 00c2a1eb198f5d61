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
import { lakeNotice, lakeState } from '../lake-state.js';

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
}

/** Where the progress bar goes: stderr, or a test's stand-in. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
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

export async function redrive(
  options: RedriveOptions,
  print: (line: string) => void,
  progressStream: ProgressStream = process.stderr,
): Promise<RedriveSummary> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new GluelessError(`--limit must be a positive whole number, got ${options.limit}`);
  }
  if (options.envVars && !options.queueUrl) throw new GluelessError('--env-vars applies to an AWS redrive: give --queue-url too');
  const summary: RedriveSummary = { events: 0, succeeded: 0, failed: [] };
  if (!options.queueUrl && !(await localLakeHoldsAnything(options.lake))) {
    print(summaryLine(summary));
    return summary;
  }
  const source = options.queueUrl ? await openAwsSource(options.queueUrl, options.envVars) : await openLocalSource(options);
  const kept: FailedEvent[] = [];
  try {
    const progress = new ProgressBar(progressStream, Math.min(limit, await source.queue.approximateCount()));
    const seen = new Set<string>();
    try {
      while (summary.events < limit) {
        // An event seen earlier in this run (its visibility ran out) is not re-processed: it is already done or kept.
        const batch = (await source.queue.receive(Math.min(BATCH, limit - summary.events))).filter((e) => !seen.has(e.id));
        if (batch.length === 0) break;
        for (const event of batch) {
          seen.add(event.id);
          summary.events++;
          progress.working(event.id);
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
          } else {
            summary.failed.push({ id: event.id, problems: outcome.problems });
            kept.push(event);
          }
          progress.done(event.id, outcome.problems.length === 0, [...outcome.done, ...outcome.problems].join('; '));
        }
      }
    } finally {
      progress.finish();
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

function summaryLine(summary: RedriveSummary): string {
  return `redrive: ${plural(summary.events, 'event')}, ${summary.succeeded} succeeded, ${summary.failed.length} failed (kept for the next redrive)`;
}

/**
 * A lake that is not there is an error (a mistyped --lake), one that holds nothing yet has nothing to redrive: said on
 * stderr; neither is opened, so neither is made.
 */
async function localLakeHoldsAnything(dir: string): Promise<boolean> {
  const state = await lakeState(dir);
  const notice = lakeNotice(dir, state);
  if (state === 'missing') throw new GluelessError(notice!);
  if (notice) process.stderr.write(`glueless: ${notice}\n`);
  return state === 'ready';
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

/**
 * On a terminal, one line redrawn in place (`\r`); in a log or pipe, a line per event, which also says what happened.
 */
class ProgressBar {
  private count = 0;
  private failures = 0;
  private drawn = 0;

  constructor(
    private readonly stream: ProgressStream,
    private total: number,
  ) {
    if (stream.isTTY) this.draw('');
  }

  working(id: string): void {
    if (this.stream.isTTY) this.draw(id);
  }

  done(id: string, succeeded: boolean, detail: string): void {
    this.count++;
    if (!succeeded) this.failures++;
    this.total = Math.max(this.total, this.count); // events that arrived after the count was taken
    if (this.stream.isTTY) this.draw('');
    else this.stream.write(`redrive ${this.count}/${this.total} ${succeeded ? 'succeeded' : 'failed'} ${id}: ${detail}\n`);
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(current: string): void {
    const cells = 20;
    const filled = this.total === 0 ? cells : Math.round((cells * this.count) / this.total);
    let line = `redrive [${'#'.repeat(filled)}${'-'.repeat(cells - filled)}] ${this.count}/${this.total} events, ${this.failures} failed`;
    if (current) line += ` · ${current}`;
    line = line.slice(0, Math.max(20, (this.stream.columns || 80) - 1));
    // Padding wipes what a longer previous line left behind, without terminal escape codes.
    this.stream.write(`\r${line.padEnd(this.drawn)}`);
    this.drawn = line.length;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function oneLine(text: string): string {
  return text.split('\n')[0]!;
}
