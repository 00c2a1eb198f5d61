import type { Catalog, Lake, ObjectStore } from '../contract/ports.js';

/**
 * Retries for the transient faults of cloud APIs — S3 SlowDown and 5xx, Athena ThrottlingException and
 * TooManyRequestsException — with full-jitter exponential backoff, and never past the time the caller has left
 * (a Lambda's remaining time): a retry that cannot finish in time is not started.
 */

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Milliseconds the caller has left; retrying stops when the next wait would not fit. */
  remainingMs?: () => number;
  /** Time kept in reserve after the last retry (to publish a notice, log, return). */
  reserveMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000, reserveMs: 10_000 };

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
  'InternalServerException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Whether an error is worth retrying: throttling, a 5xx, or what the SDK itself marks retryable. */
export function isTransientError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (TRANSIENT_NAMES.has(e.name ?? '') || TRANSIENT_NAMES.has(e.code ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  return Boolean(e.$retryable);
}

export async function withRetries<T>(operation: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientError(error) || attempt >= policy.maxAttempts) throw error;
      const delay = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
      if (policy.remainingMs && policy.remainingMs() - delay < (policy.reserveMs ?? 0)) throw error;
      policy.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

/** An ObjectStore whose calls retry transient faults. A read retries opening the stream, not a stream cut midway. */
export function retryingObjectStore(store: ObjectStore, policy: RetryPolicy): ObjectStore {
  return {
    read: (key) => withRetries(() => store.read(key), policy),
    // Without ranged reads a store is never cut into byte ranges (range-plan.ts): kept when the store has them.
    ...(store.readRange && { readRange: (key: string, start: number, end: number) => withRetries(() => store.readRange!(key, start, end), policy) }),
    write: (key, body, contentType) => withRetries(() => store.write(key, body, contentType), policy),
    openSink: (key, contentType) => withRetries(() => store.openSink(key, contentType), policy),
    list: (prefix) => withRetries(() => store.list(prefix), policy),
    delete: (keys) => withRetries(() => store.delete(keys), policy),
    locationOf: (key) => store.locationOf(key),
  };
}

export function retryingLake(lake: Lake, policy: RetryPolicy): Lake {
  return {
    raw: retryingObjectStore(lake.raw, policy),
    processed: retryingObjectStore(lake.processed, policy),
    quarantine: retryingObjectStore(lake.quarantine, policy),
  };
}

/** A Catalog whose statements retry throttling. Every statement is idempotent (IF NOT EXISTS), so a retry is safe. */
export function retryingCatalog(catalog: Catalog, policy: RetryPolicy): Catalog {
  return {
    ensureTable: (contract, location) => withRetries(() => catalog.ensureTable(contract, location), policy),
    addColumns: (contract, columns) => withRetries(() => catalog.addColumns(contract, columns), policy),
    addPartitions: (contract, partitions) => withRetries(() => catalog.addPartitions(contract, partitions), policy),
  };
}
