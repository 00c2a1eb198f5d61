import type { DatasetContract } from './contract.js';
import { InputFileError } from './errors.js';
import { toSnakeCase } from './names.js';

/** Where each contract column is found in the source file's header. */
export interface HeaderMap {
  /** The header as it appears in the file, quarantine files repeat it. */
  header: string[];
  /** For each contract column, in contract order, its index in the source record. */
  sourceIndexes: number[];
  /** Header columns no contract column reads (ignored, reported as a warning). */
  ignored: string[];
}

/**
 * Matches the header row to the contract: a column is found by its `source:` header, or else by the header whose
 * snake_case is its name (`Order ID` → order_id). A missing declared column or a repeated header rejects the file.
 */
export function resolveHeader(header: string[], contract: DatasetContract, fileName: string): HeaderMap {
  const trimmed = header.map((h) => h.trim());
  const seen = new Map<string, number>();
  trimmed.forEach((name, index) => {
    if (name === '') throw new InputFileError(`${fileName}: header column ${index + 1} is empty; a header row is required`);
    if (seen.has(name)) throw new InputFileError(`${fileName}: header "${name}" appears twice (columns ${seen.get(name)! + 1} and ${index + 1})`);
    seen.set(name, index);
  });
  const snake = trimmed.map(toSnakeCase);
  const used = new Set<number>();
  const missing: string[] = [];
  const sourceIndexes = contract.columns.map((column) => {
    const index = column.source !== undefined ? trimmed.indexOf(column.source) : snake.indexOf(column.name);
    if (index < 0) missing.push(column.source ?? column.name);
    used.add(index);
    return index;
  });
  if (missing.length > 0) {
    throw new InputFileError(
      `${fileName}: header lacks declared column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ` +
        `of dataset ${contract.name} (header: ${trimmed.join(', ')})`,
    );
  }
  return { header: trimmed, sourceIndexes, ignored: trimmed.filter((_, index) => !used.has(index)) };
}
