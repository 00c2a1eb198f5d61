import { InputFileError } from '../contract/errors.js';

/** Text is handed to the readers in pieces this long, so the records cut from it stay short-lived (cheap GC). */
export const PIECE = 64 * 1024;

export interface TextPiece {
  text: string;
  /** The end of the file: nothing follows this piece (it may be empty). */
  last: boolean;
}

export interface Utf8PiecesOptions {
  /** Where the bytes start in the file (a byte range read on its own): error offsets count from the file's start. */
  startByte?: number;
  /**
   * The line (1-based) the reader would be on after the text handed to it so far and then `textBefore` (the good text
   * of this chunk before a bad byte, not handed on). Asked only when the bytes are not UTF-8, so the error names the bad
   * byte's line without anyone counting lines on the way (the readers count them anyway, in their own way: CSV counts
   * CR, LF and CRLF, JSON lines LF). Without it the error names the byte only.
   */
  lineAt?: (textBefore: string) => number;
}

/**
 * A file's bytes as text, decoded strictly as UTF-8 and handed on in pieces of at most 64 KiB; bytes that are not UTF-8
 * reject the file, naming it, the line and the byte offset (from 0) where the bad character starts. Every text reader
 * (CSV, JSON lines) reads through this one decoder.
 */
export async function* utf8Pieces(
  bytes: AsyncIterable<Uint8Array>,
  fileName: string,
  options: Utf8PiecesOptions = {},
): AsyncGenerator<TextPiece> {
  const startByte = options.startByte ?? 0;
  // A BOM is dropped only at the start of the file: inside it, U+FEFF is a character like any other.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: startByte > 0 });
  let offset = startByte;
  // The stream's last few bytes before the chunk being decoded: a character cut across chunks may have begun there.
  let before: Uint8Array = new Uint8Array(0);
  for await (const chunk of bytes) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      const carried = before.subarray(before.length - incompleteTail(before));
      const window = concat(carried, chunk);
      const bad = firstBadByte(window);
      const line = options.lineAt?.(new TextDecoder('utf-8', { ignoreBOM: offset > 0 || startByte > 0 }).decode(window.subarray(0, bad)));
      throw notUtf8(fileName, offset - carried.length + bad, line, 'save the file as UTF-8');
    }
    offset += chunk.byteLength;
    // A copy of three bytes: a source may reuse its chunk's memory.
    before = (chunk.byteLength >= 3 ? chunk : concat(before, chunk)).slice(-3);
    for (let at = 0; at < text.length; at += PIECE) {
      yield { text: text.length <= PIECE ? text : text.slice(at, at + PIECE), last: false };
    }
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw notUtf8(fileName, offset - incompleteTail(before), options.lineAt?.(''), 'the file ends inside a character (truncated?)');
  }
  yield { text: rest, last: true };
}

function notUtf8(fileName: string, byte: number, line: number | undefined, advice: string): InputFileError {
  const where = line === undefined ? `byte ${byte}` : `line ${line}, byte ${byte}`;
  return new InputFileError(`${fileName}: not valid UTF-8 at ${where}; ${advice}`);
}

/**
 * Where the first character that is not UTF-8 starts in bytes that begin on a character boundary. Only on the error
 * path: the longest prefix a fresh strict decoder accepts as the start of a stream is found by halving (the decoder's own
 * rules, not a second copy of them); a character begun but left incomplete at its end is where the fault starts.
 */
function firstBadByte(bytes: Uint8Array): number {
  let good = 0;
  let bad = bytes.length + 1;
  while (bad - good > 1) {
    const middle = (good + bad) >>> 1;
    if (decodesAsStart(bytes.subarray(0, middle))) good = middle;
    else bad = middle;
  }
  return good - incompleteTail(bytes.subarray(0, good));
}

function decodesAsStart(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** How many bytes at the end are a multi-byte character begun but not finished (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    if (b < 0xc0) return 0; // ASCII: nothing is open
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return length > back ? back : 0;
  }
  return 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
