/**
 * A string value still as the UTF-8 bytes of a field in a read buffer (the CSV byte lane): the column buffer looks
 * it up in its dictionary by these bytes or copies them, so the common string value never becomes a JS string. One
 * object per column, reused for every row: it is valid only until the next row is typed.
 */
export class Utf8Field {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
}
