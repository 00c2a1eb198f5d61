import { hasLoneSurrogate } from '../support/lone-surrogate.js';

/**
 * The JSON-lines reader's fast path for the common record: one flat object (every value a string, number, `true`,
 * `false` or `null`) that closes on its line, read in one scan of the decoded text straight into field texts. No parse
 * tree, no number formatted again: a number's field text is its slice of the text, a string's is its slice (or, with
 * escapes, `JSON.parse` of that one literal), and a key is matched against the key the previous record had at the
 * same place before any string is made of it.
 *
 * It reads only what it can prove the exact reading (lossless-json, then the field mapping) reads the same, and gives
 * up (undefined) on anything else, so the caller frames and parses that record the exact way, with its messages:
 * a nested value, a key written twice or with an escape, a key the mapper leaves to the exact path (an array index,
 * `__proto__`, a field the contract rejects), a control character or line break, any syntax that is not plain JSON,
 * a record that does not close before `stop`.
 */

/** What a top-level key's value becomes, as the field mapper says (jsonl.ts). */
export interface KeyTarget {
  /** Field indexes that take the value. */
  fields: number[];
  /** Per field: a `json` column (a string is written as its JSON text). */
  json: boolean[];
  /** No column reads the key: the reader reports it among the ignored fields. */
  ignored: boolean;
  /** Only the exact path may read a record with this key. */
  exactOnly: boolean;
}

interface KnownKey extends KeyTarget {
  name: string;
  /** The read that last met this key (a duplicate key within one record gives up). */
  seen: number;
}

const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const UPPER_E = 69;
const BACKSLASH = 92;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_N = 110;
const LOWER_T = 116;
const CLOSE_BRACE = 125;

/** Distinct keys remembered; a record with a key past these (keys that are data, such as ids) is left to the exact path. */
const MAX_KNOWN_KEYS = 4096;

export class FlatRecordReader {
  /** Where the last record read ends (just after its `}`). */
  end = 0;
  private readonly known = new Map<string, KnownKey>();
  /** The keys of the records read so far, by place: the next record most likely has the same. */
  private readonly order: KnownKey[] = [];
  private reads = 0;
  private readonly ignoredKeys: KnownKey[] = [];

  /**
   * @param width fields per record
   * @param targetOf what a key's value becomes
   * @param jsonText a string as JSON text, as the exact path writes it for a `json` column
   * @param ignore called once per record read, for each key no column reads
   */
  constructor(
    private readonly width: number,
    private readonly targetOf: (key: string) => KeyTarget,
    private readonly jsonText: (value: string) => string,
    private readonly ignore: (key: string) => void,
  ) {}

  /** The field texts of the object whose `{` is text[start], ending before `stop`; undefined to leave it to the exact path. */
  read(text: string, start: number, stop: number): string[] | undefined {
    const fields = new Array<string>(this.width).fill('');
    const read = ++this.reads;
    let ignored = 0;
    let i = start + 1;
    let c = 0;
    while (i < stop && ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === CR)) i++;
    if (i >= stop) return undefined;
    if (c === CLOSE_BRACE) {
      this.end = i + 1;
      return fields;
    }
    for (let place = 0; ; place++) {
      if (c !== QUOTE) return undefined;
      // The key: the one this place had last time, if the text has it, else the key's text looked up.
      const keyStart = i + 1;
      let key: KnownKey | undefined = this.order[place];
      if (key !== undefined && hasKeyAt(text, keyStart, stop, key.name)) {
        i = keyStart + key.name.length + 1;
      } else {
        let j = keyStart;
        for (;;) {
          if (j >= stop) return undefined;
          const s = text.charCodeAt(j);
          if (s === QUOTE) break;
          if (s === BACKSLASH || s < SPACE) return undefined;
          j++;
        }
        const name = text.slice(keyStart, j);
        key = this.known.get(name);
        if (key === undefined) {
          // Keys past the cap (keys that are data) are left to the exact path: a key not remembered could be written twice unseen.
          if (this.known.size >= MAX_KNOWN_KEYS) return undefined;
          key = { ...this.targetOf(name), name, seen: 0 };
          this.known.set(name, key);
        }
        this.order[place] = key;
        i = j + 1;
      }
      if (key.exactOnly || key.seen === read) return undefined;
      key.seen = read;
      while (i < stop && ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === CR)) i++;
      if (i >= stop || c !== COLON) return undefined;
      i++;
      while (i < stop && ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === CR)) i++;
      if (i >= stop) return undefined;

      // The value, as its field text.
      let value: string;
      let isString = false;
      if (c === QUOTE) {
        let j = i + 1;
        let escaped = false;
        for (;;) {
          if (j >= stop) return undefined;
          const s = text.charCodeAt(j);
          if (s === QUOTE) break;
          if (s === BACKSLASH) {
            escaped = true;
            j += 2;
          } else if (s < SPACE) return undefined;
          else j++;
        }
        if (escaped) {
          const decoded = decodeString(text.slice(i, j + 1));
          if (decoded === undefined) return undefined;
          value = decoded;
        } else value = text.slice(i + 1, j);
        isString = true;
        i = j + 1;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const end = numberEnd(text, i, stop);
        if (end < 0) return undefined;
        value = text.slice(i, end);
        i = end;
      } else if (c === LOWER_T) {
        if (!hasWordAt(text, i, stop, 'true')) return undefined;
        value = 'true';
        i += 4;
      } else if (c === LOWER_F) {
        if (!hasWordAt(text, i, stop, 'false')) return undefined;
        value = 'false';
        i += 5;
      } else if (c === LOWER_N) {
        if (!hasWordAt(text, i, stop, 'null')) return undefined;
        value = '';
        i += 4;
      } else return undefined;

      const targets = key.fields;
      for (let t = 0; t < targets.length; t++) fields[targets[t]!] = isString && key.json[t] ? this.jsonText(value) : value;
      if (key.ignored) this.ignoredKeys[ignored++] = key;

      while (i < stop && ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === CR)) i++;
      if (i >= stop) return undefined;
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return undefined;
      i++;
      while (i < stop && ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === CR)) i++;
      if (i >= stop) return undefined;
    }
    this.end = i + 1;
    for (let k = 0; k < ignored; k++) this.ignore(this.ignoredKeys[k]!.name);
    return fields;
  }
}

/** Whether text[at…] is `name` and then its closing quote. */
function hasKeyAt(text: string, at: number, stop: number, name: string): boolean {
  const n = name.length;
  if (at + n >= stop) return false;
  for (let k = 0; k < n; k++) if (text.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  return text.charCodeAt(at + n) === QUOTE;
}

function hasWordAt(text: string, at: number, stop: number, word: string): boolean {
  return at + word.length <= stop && text.startsWith(word, at);
}

/**
 * A string literal with escapes, decoded as JSON decodes it; undefined for an escape JSON does not have, and for half
 * a surrogate pair (the exact reading quarantines that record, saying why).
 */
function decodeString(literal: string): string | undefined {
  try {
    const decoded = JSON.parse(literal) as string;
    return hasLoneSurrogate(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** Where the JSON number starting at text[at] ends (-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?), or -1 if it is none. */
function numberEnd(text: string, at: number, stop: number): number {
  let i = at;
  let c = text.charCodeAt(i);
  if (c === MINUS) {
    if (++i >= stop) return -1;
    c = text.charCodeAt(i);
  }
  if (c === ZERO) i++;
  else if (c > ZERO && c <= NINE) {
    i++;
    while (i < stop && isDigit(text.charCodeAt(i))) i++;
  } else return -1;
  if (i < stop && text.charCodeAt(i) === DOT) {
    const digits = ++i;
    while (i < stop && isDigit(text.charCodeAt(i))) i++;
    if (i === digits) return -1;
  }
  if (i < stop && ((c = text.charCodeAt(i)) === LOWER_E || c === UPPER_E)) {
    i++;
    if (i < stop && ((c = text.charCodeAt(i)) === PLUS || c === MINUS)) i++;
    const digits = i;
    while (i < stop && isDigit(text.charCodeAt(i))) i++;
    if (i === digits) return -1;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}
