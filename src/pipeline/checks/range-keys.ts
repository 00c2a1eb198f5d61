import { DuplicateKeyCheck } from './rules.js';

/** The distinct keys one range met, each with its first line there: a RangeKeys, or its fields after a trip through a
 * thread or a file. */
export interface RangeKeyList {
  integers: number[];
  integerLines: number[];
  texts: string[];
  textLines: number[];
}

/**
 * Primary keys across the byte ranges of one file, settled in file order: a key's first occurrence in the file wins,
 * as in a serial run. Each range has already kept the first occurrence of each of its keys; here every range's keys
 * meet the keys of the ranges before it. What comes back, for each range, is the lines of its rows that turned out to
 * repeat an earlier range's key, each with the line of that earlier row: the range is converted again knowing them.
 */
export function settleRangeKeys(ranges: RangeKeyList[]): Array<Map<number, number>> {
  const seen = new DuplicateKeyCheck([0]);
  return ranges.map((keys) => {
    const repeated = new Map<number, number>();
    const note = (key: number | string, line: number) => {
      const earlier = seen.firstLineOfKey(key, line);
      if (earlier !== undefined) repeated.set(line, earlier);
    };
    for (let i = 0; i < keys.integers.length; i++) note(keys.integers[i]!, keys.integerLines[i]!);
    for (let i = 0; i < keys.texts.length; i++) note(keys.texts[i]!, keys.textLines[i]!);
    return repeated;
  });
}
