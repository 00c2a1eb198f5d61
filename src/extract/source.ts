/**
 * A source (sources/<name>.yaml) as the extractor runs it: where to ask, how to authenticate, how one window is
 * paged and turned into records, and where the raw object lands. Validated by parse-source.ts; pure data.
 */

export type WindowUnit = 'hour' | 'day' | 'month';

/** How `{start}`, `{end}` and `{until}` are written into a request. */
export type WindowFormat = 'date' | 'datetime' | 'epoch_ms' | 'epoch_s';

/** A request fans out over items: one request per item, each item's fields usable as `{field}` and copied to records. */
export type SourceItem = Record<string, string | number | boolean>;

export interface RetrySettings {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RequestSpec {
  /** URL template: `{start}`, `{end}`, `{until}`, and item fields. */
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  items: SourceItem[];
  timeoutMs: number;
  /** Requests in flight at once during a backfill. */
  concurrency: number;
  retry: RetrySettings;
}

/** Where the API key comes from: an environment variable locally, SSM Parameter Store or Secrets Manager on AWS. */
export interface SecretSpec {
  env?: string;
  ssmParameter?: string;
  secretsManager?: string;
}

export type AuthSpec =
  | { type: 'none' }
  | { type: 'query'; name: string }
  | { type: 'header'; name: string; prefix: string };

export interface WindowSpec {
  unit: WindowUnit;
  /** The zone whose calendar the windows follow (a trading day in New York, a month in Sydney). */
  timezone: string;
  format: WindowFormat;
  /** EventBridge Scheduler expression and its time zone. */
  schedule: string;
  scheduleTimezone: string;
  /** The scheduled run fetches the `lookback` windows ending `lag` windows before the current one. */
  lag: number;
  lookback: number;
  /**
   * How long after a moment the API's data for it is complete (Open-Meteo's archive trails by days). Requests never
   * ask past `now - delay`, and a window counts as open — fetched again, replaced when it changed — until `delay`
   * after its end.
   */
  delayMs: number;
  /** A backfill may ask for up to this many consecutive windows in one request; records are split by `recordTime`. */
  requestSpan: number;
  recordTime?: { field: string; format: 'date' | 'epoch_ms' | 'epoch_s' };
}

export type PaginationSpec =
  | { type: 'none' }
  | { type: 'next_url'; path: string }
  | { type: 'page'; param: string; start: number; size?: { param: string; value: number } }
  | { type: 'offset'; param: string; limitParam: string; limit: number }
  | { type: 'cursor'; path: string; param: string }
  | { type: 'link_header' };

export type RecordSpec =
  | { type: 'csv' }
  /** JSON rows at `path` ('' for the body itself); `absent: empty` when the API leaves the path out for no data. */
  | { type: 'rows'; path: string; absentIsEmpty: boolean }
  /** JSON columns at `path` zipped into rows: `{time: [...], t_max: [...]}` → `{time, t_max}` per index. */
  | { type: 'columns'; path: string };

/** A body that says it failed: `path` holding `equals`; the API's reason is at `reason`. */
export interface ErrorRule {
  path: string;
  equals: string | number | boolean;
  reason?: string;
}

export interface ResponseSpec {
  records: RecordSpec;
  errors: ErrorRule[];
  /** Item fields copied into every record. */
  addFields: string[];
  /** The window's first day added to every record under this name. */
  windowField?: string;
}

export interface TargetSpec {
  dataset: string;
  /** Raw key below the dataset's prefix: `{yyyy}`, `{MM}`, `{dd}`, `{HH}`, `{window}`, item fields. */
  key: string;
  /** jsonl: records as gzip JSON lines; as_received: the body byte for byte (CSV). */
  format: 'jsonl' | 'as_received';
}

export interface SourceDefinition {
  name: string;
  description?: string;
  /** Where the definition came from, for messages. */
  file: string;
  request: RequestSpec;
  secret?: SecretSpec;
  auth: AuthSpec;
  window: WindowSpec;
  pagination: PaginationSpec;
  response: ResponseSpec;
  target: TargetSpec;
}
