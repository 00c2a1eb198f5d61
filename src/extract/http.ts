import { HttpTransportError } from './errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from './ports.js';
import type { RetrySettings } from './source.js';
import { oneLine, reasonOf } from './strategies/records.js';

/**
 * One GET with the retries an API deserves: 429 and 5xx, TfNSW's `403` with `X-Error-Detail: … Rate Limit`, timeouts
 * and dropped connections are retried with full-jitter exponential backoff, or after the `Retry-After` the API asked
 * for; never past the time the caller has left. Anything else fails at once with the API's reason.
 */

export interface RetryClock {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Milliseconds the caller has left (a Lambda's remaining time). */
  remainingMs?: () => number;
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
  /** Called before every attempt: requests made, answered or not. */
  onAttempt?: () => void;
}

/** A request that did not succeed; `message` is one line with the HTTP status or transport fault and the API's reason. */
export class RequestFailedError extends Error {}

const RESERVE_MS = 2_000;

export async function getWithRetries(
  http: HttpClient,
  request: HttpRequest,
  retry: RetrySettings,
  clock: RetryClock,
  redact: (text: string) => string,
): Promise<HttpResponse & { attempts: number }> {
  const sleep = clock.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = clock.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      clock.onAttempt?.();
      const response = await http.get(request);
      if (response.status >= 200 && response.status < 300) return { ...response, attempts: attempt };
      reason = `HTTP ${response.status}${describe(reasonOf(response.body, response.headers))}`;
      if (!isRetryable(response)) throw new RequestFailedError(redact(reason));
      retryAfterMs = retryAfter(response.headers['retry-after']);
    } catch (error) {
      if (!(error instanceof HttpTransportError)) throw error;
      reason = error.message;
    }
    if (attempt >= retry.maxAttempts) throw new RequestFailedError(redact(`${reason} (gave up after ${attempt} attempts)`));
    const backoff = Math.floor(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
    const delay = retryAfterMs ?? backoff;
    const left = clock.remainingMs?.() ?? Number.POSITIVE_INFINITY;
    if (left - delay - request.timeoutMs < RESERVE_MS) {
      throw new RequestFailedError(redact(`${reason} (no time left to wait ${Math.ceil(delay / 1000)} s and retry)`));
    }
    clock.onRetry?.({ url: redact(request.url), attempt, delayMs: delay, reason: redact(reason) });
    await sleep(delay);
  }
}

function isRetryable(response: HttpResponse): boolean {
  if (response.status === 429 || response.status >= 500) return true;
  // TfNSW answers an exceeded rate with 403 and says so in a header: `Account Over Rate Limit`,
  // `Account Over Queries Per Second Limit`.
  return response.status === 403 && /rate limit|over .*limit/i.test(response.headers['x-error-detail'] ?? '');
}

/** `Retry-After: 120` or an HTTP date, in milliseconds from now. */
export function retryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function describe(reason: string): string {
  return reason ? `: ${oneLine(reason)}` : '';
}
