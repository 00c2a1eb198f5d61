/**
 * The dialect of a CSV file guessed from its first bytes: delimiter, quote character, whether the first row is a
 * header, and the line ending. Pure: it looks at a text sample (the caller reads ~64 KiB), never the whole file.
 */

export interface Dialect {
  delimiter: string;
  quote: string;
  hasHeader: boolean;
  lineEnding: 'lf' | 'crlf' | 'cr';
  /** The sample began with a UTF-8 byte order mark (the reader drops it). */
  bom: boolean;
}

/** Bytes worth reading for a sniff: enough rows to judge, small enough to read at once. */
export const SNIFF_BYTES = 64 * 1024;

export const DELIMITERS = [',', ';', '\t', '|'] as const;
const QUOTES = ['"', "'"] as const;
const MAX_RECORDS = 200;

interface Field {
  text: string;
  quoted: boolean;
}

/**
 * Sniffs the dialect of `sample`, the start of a file decoded as text. `complete` says the sample is the whole file;
 * otherwise its last record may be cut and is not judged.
 */
export function sniffDialect(sample: string, complete = false): Dialect {
  const bom = sample.startsWith('\uFEFF');
  const text = bom ? sample.slice(1) : sample;
  const quote = sniffQuote(text, complete);
  const delimiter = sniffDelimiter(text, quote, complete);
  const records = splitRecords(text, delimiter, quote, complete);
  return { delimiter, quote, hasHeader: looksLikeHeader(records.map((r) => r.map((f) => f.text))), lineEnding: sniffLineEnding(text), bom };
}

/** The delimiter that splits the most records into the same number (> 1) of fields; ties go to the earlier one. */
function sniffDelimiter(text: string, quote: string, complete: boolean): string {
  let best: { delimiter: string; consistency: number; width: number } = { delimiter: ',', consistency: 0, width: 1 };
  for (const delimiter of DELIMITERS) {
    const records = splitRecords(text, delimiter, quote, complete);
    if (records.length === 0) continue;
    const widths = new Map<number, number>();
    for (const record of records) widths.set(record.length, (widths.get(record.length) ?? 0) + 1);
    const [width, count] = [...widths].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]!;
    if (width < 2) continue;
    const consistency = count / records.length;
    if (consistency > best.consistency || (consistency === best.consistency && width > best.width)) {
      best = { delimiter, consistency, width };
    }
  }
  return best.delimiter;
}

/**
 * `"` unless the sample quotes fields with `'` and never with `"`: an apostrophe in text (O'Brien) must not turn
 * into a quote character.
 */
function sniffQuote(text: string, complete: boolean): string {
  const quotedFields = (quote: string) =>
    Math.max(...DELIMITERS.map((d) => splitRecords(text, d, quote, complete).flat().filter((f) => f.quoted).length));
  const [double, single] = QUOTES.map(quotedFields);
  return single! > 0 && double === 0 ? "'" : '"';
}

function sniffLineEnding(text: string): Dialect['lineEnding'] {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  const cr = text.split('\r').length - 1 - crlf;
  if (crlf >= lf && crlf >= cr && crlf > 0) return 'crlf';
  return cr > lf ? 'cr' : 'lf';
}

/**
 * Splits text into records the way the reader will (quoted fields may hold delimiters, doubled quotes and line
 * breaks; blank lines are skipped), up to MAX_RECORDS. Without `complete`, the last record may be cut and is dropped.
 */
function splitRecords(text: string, delimiter: string, quote: string, complete: boolean): Field[][] {
  const records: Field[][] = [];
  let record: Field[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let i = 0;
  const endField = () => {
    record.push({ text: field, quoted });
    field = '';
    quoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0]!.text === '' && !record[0]!.quoted)) records.push(record);
    record = [];
  };
  while (i < text.length && records.length < MAX_RECORDS) {
    const char = text[i]!;
    if (inQuotes) {
      if (char === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i += 2;
          continue;
        }
        inQuotes = false;
      } else field += char;
      i++;
      continue;
    }
    if (char === quote && field === '' && !quoted) {
      inQuotes = true;
      quoted = true;
    } else if (char === delimiter) endField();
    else if (char === '\r' || char === '\n') {
      endRecord();
      if (char === '\r' && text[i + 1] === '\n') i++;
    } else field += char;
    i++;
  }
  const cut = i < text.length || !complete;
  if (!cut && (field !== '' || quoted || record.length > 0)) endRecord();
  return records;
}

type CellKind = 'number' | 'date' | 'boolean' | 'empty' | 'text';

const NUMBER = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?$/;
const DATE_LIKE = /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T].*)?$|^[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|^\d{1,2} [A-Za-z]{3,9}\.? \d{4}/;
const BOOLEAN = /^(?:true|false|yes|no|y|n|t|f)$/i;

function cellKind(text: string): CellKind {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty';
  if (NUMBER.test(trimmed.replace(/^[$€£]/, ''))) return 'number';
  if (DATE_LIKE.test(trimmed)) return 'date';
  if (BOOLEAN.test(trimmed)) return 'boolean';
  return 'text';
}

/**
 * Whether the first row names the columns rather than holding data. A text cell above a column of numbers, dates or
 * booleans is a header; a row of only numbers and dates is data. Otherwise each column votes: a first cell of the same
 * kind as the values below says data, and in text columns whose values all have one length (codes) a first cell of
 * another length says header. Undecided, distinct non-empty first cells are taken as a header (glueless needs one, and
 * most exports have one).
 */
export function looksLikeHeader(records: string[][]): boolean {
  const [first, ...rest] = records;
  if (!first) return false;
  const cells = first.map((c) => c.trim());
  if (cells.some((c) => c === '') || new Set(cells).size !== cells.length) return false;
  const columns = cells.map((cell, column) => {
    const below = rest.map((r) => r[column]).filter((v): v is string => v !== undefined && v.trim() !== '');
    const kinds = new Set(below.map(cellKind));
    return { cell, below, kind: kinds.size === 1 ? [...kinds][0]! : undefined };
  });
  if (columns.some((c) => c.kind !== undefined && c.kind !== 'text' && cellKind(c.cell) === 'text')) return true;
  if (cells.every((c) => cellKind(c) === 'number' || cellKind(c) === 'date')) return false;
  let votes = 0;
  for (const { cell, below, kind } of columns) {
    if (below.length === 0) continue;
    if (kind && kind !== 'text') votes += cellKind(cell) === kind ? -1 : 1;
    else if (below.length > 1 && new Set(below.map((v) => v.length)).size === 1) votes += below[0]!.length === cell.length ? -1 : 1;
  }
  return votes >= 0;
}
