import type { DatasetContract } from '../contract/contract.js';
import { InputFileError } from '../contract/errors.js';
import { toSnakeCase } from '../contract/names.js';

/** Where each contract column is found in the source file's header. */
export interface HeaderMap {
  /** The header as it appears in the file; quarantine files repeat it. */
  header: string[];
  /** For each contract column, in contract order, its index in the source record; -1 for a missing nullable column. */
  sourceIndexes: number[];
  /** What the file's header changed against the contract (schema drift), to be reported with the run. */
  warnings: string[];
}

/**
 * Matches the header row to the contract: a column is found by its `source:` header, or else by the header whose
 * snake_case is its name (`Order ID` → order_id). Schema drift is handled as the contract says: a missing required
 * column rejects the file, a missing nullable one reads as null with a warning, and an extra column is ignored with a
 * warning or rejects the file (`file.extra_columns`).
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
  const missingRequired: string[] = [];
  const warnings: string[] = [];
  const sourceIndexes = contract.columns.map((column) => {
    const index = column.source !== undefined ? trimmed.indexOf(column.source) : snake.indexOf(column.name);
    if (index < 0) {
      if (column.required) missingRequired.push(column.source ?? column.name);
      else warnings.push(`column "${column.source ?? column.name}" is missing; ${column.name} is null in every row`);
    }
    used.add(index);
    return index;
  });
  if (missingRequired.length > 0) {
    throw new InputFileError(
      `${fileName}: header lacks declared column${missingRequired.length > 1 ? 's' : ''} ${missingRequired.map((m) => `"${m}"`).join(', ')} ` +
        `of dataset ${contract.name} (header: ${trimmed.join(', ')})${delimiterHint(header, missingRequired, contract)}`,
    );
  }
  const missingHeaders = contract.file.requiredHeaders.filter((h) => !trimmed.includes(h));
  if (missingHeaders.length > 0) {
    throw new InputFileError(`${fileName}: header lacks required header ${missingHeaders.map((m) => `"${m}"`).join(', ')}`);
  }
  const extra = trimmed.filter((name, index) => !used.has(index) && !contract.file.requiredHeaders.includes(name));
  if (extra.length > 0) {
    if (contract.file.extraColumns === 'reject') {
      throw new InputFileError(`${fileName}: header has column${extra.length > 1 ? 's' : ''} ${extra.map((e) => `"${e}"`).join(', ')} the contract of ${contract.name} does not declare (file.extra_columns: reject)`);
    }
    warnings.push(`ignored column${extra.length > 1 ? 's' : ''} not in the contract: ${extra.join(', ')}`);
  }
  return { header: trimmed, sourceIndexes, warnings };
}

const DELIMITER_NAMES: Record<string, string> = { ',': '","', ';': '";"', '\t': '"\\t" (tab)', '|': '"|"' };

/** A header cut at the wrong delimiter reads as one long column: say which delimiter would have found the columns. */
function delimiterHint(header: string[], missing: string[], contract: DatasetContract): string {
  if (contract.format === 'jsonl') return '';
  const line = header.join(contract.csv.delimiter);
  for (const delimiter of Object.keys(DELIMITER_NAMES)) {
    if (delimiter === contract.csv.delimiter) continue;
    const names = new Set(line.split(delimiter).map((h) => h.trim()));
    const snake = new Set([...names].map(toSnakeCase));
    if (names.size > header.length && missing.every((m) => names.has(m) || snake.has(toSnakeCase(m)))) {
      return `; the header looks ${DELIMITER_NAMES[delimiter]}-separated: set source.delimiter: ${JSON.stringify(delimiter)} in the contract`;
    }
  }
  return '';
}
