/** Identifier rules shared by contracts, Parquet column names and catalog DDL. */

export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** `Cost Total $` → `cost_total`, `OrderDate` → `order_date`, `Flight Date` → `flight_date`. */
export function toSnakeCase(header: string): string {
  return header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, '_$1');
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER_PATTERN.test(name) && name.length <= 255;
}
