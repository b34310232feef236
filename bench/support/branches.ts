import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The branch rows the bench's branches need (SPEC §17: every advisor and ticket names one), in
 * one statement, with a code derived from a hash of the name (unique however long the names are)
 * and no opening hours: open at any hour, as the bench's load needs.
 */
export async function ensureBranches(client: pg.ClientBase | pg.Pool, names: readonly string[], timeZone: string): Promise<void> {
  const codes = names.map((name) => `B${createHash('sha1').update(name).digest('hex').slice(0, 12).toUpperCase()}`);
  await client.query(
    `insert into branch (code, name, timezone)
     select c, n, $3 from unnest($1::text[], $2::text[]) as u(c, n)
     on conflict do nothing`,
    [codes, names, timeZone],
  );
}
