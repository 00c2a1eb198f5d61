import { InputFileError } from '../contract/errors.js';

/** Text is handed to the readers in pieces this long, so the records cut from it stay short-lived (cheap GC). */
const PIECE = 64 * 1024;

export interface TextPiece {
  text: string;
  /** The end of the file: nothing follows this piece (it may be empty). */
  last: boolean;
}

/**
 * A file's bytes as text, decoded strictly as UTF-8 and handed on in pieces of at most 64 KiB; bytes that are not UTF-8
 * reject the file, naming it. Every text reader (CSV, JSON lines) reads through this one decoder.
 */
export async function* utf8Pieces(
  bytes: AsyncIterable<Uint8Array>,
  fileName: string,
  options: { startByte?: number } = {},
): AsyncGenerator<TextPiece> {
  // A BOM is dropped only at the start of the file: inside it, U+FEFF is a character like any other.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: (options.startByte ?? 0) > 0 });
  let offset = options.startByte ?? 0;
  for await (const chunk of bytes) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new InputFileError(`${fileName}: not valid UTF-8 near byte ${offset}; save the file as UTF-8`);
    }
    offset += chunk.byteLength;
    for (let at = 0; at < text.length; at += PIECE) {
      yield { text: text.length <= PIECE ? text : text.slice(at, at + PIECE), last: false };
    }
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw new InputFileError(`${fileName}: not valid UTF-8 at the end of the file (truncated character)`);
  }
  yield { text: rest, last: true };
}
