/** Column types a dataset contract can declare, as Athena names them. */
export type ColumnType =
  /** `json`: a string column holding JSON text (a nested value kept whole); Athena reads it as string. */
  | { kind: 'string'; json?: boolean }
  | { kind: 'int' }
  | { kind: 'bigint' }
  | { kind: 'double' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' };

export const SIMPLE_TYPE_NAMES = ['string', 'int', 'bigint', 'double', 'boolean', 'date', 'timestamp'] as const;

const DECIMAL_PATTERN = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** Parses `int`, `decimal(12,2)` … into a ColumnType, or returns an explanation of why it cannot. */
export function parseColumnType(text: string): ColumnType | string {
  const name = text.trim().toLowerCase();
  if (name === 'json') return { kind: 'string', json: true };
  if ((SIMPLE_TYPE_NAMES as readonly string[]).includes(name)) {
    return { kind: name } as ColumnType;
  }
  const decimal = DECIMAL_PATTERN.exec(name);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision < 1 || precision > 38) return `decimal precision must be 1..38, got ${precision}`;
    if (scale > precision) return `decimal scale ${scale} exceeds precision ${precision}`;
    return { kind: 'decimal', precision, scale };
  }
  return `unknown type "${text}" (expected one of ${SIMPLE_TYPE_NAMES.join(', ')}, json, decimal(p,s))`;
}

/** The contract's spelling of a type (`json` for a JSON text column). */
export function contractTypeName(type: ColumnType): string {
  return type.kind === 'string' && type.json ? 'json' : typeName(type);
}

/** The Athena / Hive spelling of a type, also accepted by DuckDB. */
export function typeName(type: ColumnType): string {
  return type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind;
}
