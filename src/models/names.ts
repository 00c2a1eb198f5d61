/** Model and column names: lowercase snake_case, so they need no quoting on either engine. */
export function isSnakeCase(name: string): boolean {
  return /^[a-z][a-z0-9_]*$/.test(name);
}

/** `sales_orders_current` → `sales_orders`: the latest-row-per-key view reads its table. */
export const CURRENT_SUFFIX = '_current';
