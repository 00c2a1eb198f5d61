import type { ErrorRule, RecordSpec } from '../source.js';
import { valueAt } from './json-path.js';

/**
 * Response → records: CSV passed through as it came, JSON rows at a path (Polygon's `results`), or JSON columns zipped
 * into rows (Open-Meteo's `daily: {time: […], temperature_2m_max: […]}`). An answer that is not what the source
 * declares — an HTML error page, a body that reports an error, a wrong shape — throws AnswerError with the API's reason.
 */

export type JsonRecord = Record<string, unknown>;

export type SelectedPage =
  | { kind: 'csv'; records: number; body: Uint8Array }
  | { kind: 'json'; json: unknown; records: JsonRecord[] };

/** The answer is not what the source declares; `reason` is the API's own words where it gave any. */
export class AnswerError extends Error {}

const decoder = new TextDecoder('utf-8', { fatal: false });

type Selector = (body: Uint8Array, contentType: string, spec: RecordSpec, errors: ErrorRule[]) => SelectedPage;

const csvSelector: Selector = (body, contentType) => {
  const text = decoder.decode(body);
  if (/html/i.test(contentType) || /^\s*</.test(text)) throw new AnswerError(`an HTML page instead of CSV${htmlTitle(text)}`);
  if (/json/i.test(contentType) || /^\s*[{[]/.test(text)) throw new AnswerError(`JSON instead of CSV: ${reasonInText(text)}`);
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return { kind: 'csv', records: Math.max(0, lines.length - 1), body };
};

const jsonSelector: Selector = (body, contentType, spec, errors) => {
  const text = decoder.decode(body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    if (/html/i.test(contentType) || /^\s*</.test(text)) throw new AnswerError(`an HTML page instead of JSON${htmlTitle(text)}`);
    throw new AnswerError(`not valid JSON (${(error as Error).message}; ${body.length} bytes, starts ${JSON.stringify(text.slice(0, 60))})`);
  }
  for (const rule of errors) {
    if (valueAt(json, rule.path) === rule.equals) {
      const reason = rule.reason ? valueAt(json, rule.reason) : undefined;
      throw new AnswerError(`the API reports an error (${rule.path}: ${JSON.stringify(rule.equals)})${reason === undefined ? '' : `: ${oneLine(String(typeof reason === 'object' ? JSON.stringify(reason) : reason))}`}`);
    }
  }
  return { kind: 'json', json, records: spec.type === 'columns' ? zipColumns(json, spec.path) : rowsAt(json, spec as Extract<RecordSpec, { type: 'rows' }>) };
};

function rowsAt(json: unknown, spec: Extract<RecordSpec, { type: 'rows' }>): JsonRecord[] {
  const rows = valueAt(json, spec.path);
  const where = spec.path === '' ? 'the body' : `"${spec.path}"`;
  if (rows === undefined || rows === null) {
    if (spec.absentIsEmpty) return [];
    throw new AnswerError(`no ${where} in the answer${reasonSuffix(json)}`);
  }
  if (!Array.isArray(rows)) throw new AnswerError(`${where} is not a list of records${reasonSuffix(json)}`);
  rows.forEach((row, index) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new AnswerError(`${where}[${index}] is not a record`);
  });
  return rows as JsonRecord[];
}

function zipColumns(json: unknown, path: string): JsonRecord[] {
  const columns = valueAt(json, path);
  if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) {
    throw new AnswerError(`no "${path}" columns in the answer${reasonSuffix(json)}`);
  }
  const entries = Object.entries(columns as Record<string, unknown>);
  let length: number | undefined;
  for (const [name, values] of entries) {
    if (!Array.isArray(values)) throw new AnswerError(`"${path}.${name}" is not a list`);
    if (length !== undefined && values.length !== length) {
      throw new AnswerError(`"${path}" columns differ in length (${entries[0]![0]}: ${length}, ${name}: ${values.length})`);
    }
    length = values.length;
  }
  return Array.from({ length: length ?? 0 }, (_, i) => Object.fromEntries(entries.map(([name, values]) => [name, (values as unknown[])[i] ?? null])));
}

const selectors: { [T in RecordSpec['type']]: Selector } = { csv: csvSelector, rows: jsonSelector, columns: jsonSelector };

export function selectRecords(body: Uint8Array, contentType: string, spec: RecordSpec, errors: ErrorRule[]): SelectedPage {
  return selectors[spec.type](body, contentType, spec, errors);
}

/** The API's own reason in an error answer: a JSON body's message fields, an HTML page's title, or the text itself. */
export function reasonOf(body: Uint8Array, headers: Record<string, string>): string {
  const text = decoder.decode(body);
  const detail = headers['x-error-detail'];
  const fromBody = /^\s*</.test(text) ? `an HTML page${htmlTitle(text)}` : reasonInText(text);
  return [detail, fromBody].filter((part) => part && part !== '').join(': ');
}

const REASON_FIELDS = ['error', 'reason', 'message', 'Message', 'detail', 'error_message', 'errorMessage', 'status_message', 'ErrorDetails'];

function reasonInText(text: string): string {
  try {
    return reasonInJson(JSON.parse(text)) ?? oneLine(text);
  } catch {
    return oneLine(text);
  }
}

function reasonInJson(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const found = REASON_FIELDS.map((field) => (json as Record<string, unknown>)[field])
    .filter((value) => typeof value === 'string' || (typeof value === 'object' && value !== null))
    .map((value) => (typeof value === 'string' ? value : reasonInJson(value) ?? JSON.stringify(value)));
  return found.length > 0 ? oneLine(found.join(': ')) : undefined;
}

function reasonSuffix(json: unknown): string {
  const reason = reasonInJson(json);
  return reason ? `: ${reason}` : '';
}

function htmlTitle(text: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  return title ? ` ("${oneLine(title)}")` : '';
}

export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
