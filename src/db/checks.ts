/*
 * CHECK constraints written the way PostgreSQL stores them back, so MikroORM's schema
 * diff sees no change (an `in (...)` list comes back as `= ANY (ARRAY[...])` and would be
 * re-added by every new migration).
 */
export function oneOf(column: string, values: readonly string[]): string {
  return values.map((value) => `${column} = '${value}'`).join(' or ');
}

export function between(column: string, min: number, max: number): string {
  return `${column} >= ${min} and ${column} <= ${max}`;
}
