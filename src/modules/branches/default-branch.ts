import type { Queryable } from '../../db/sql.js';
import { branchCodeFromName } from '../../domain/branch-hours.js';

/**
 * Makes sure a branch of that name exists (SPEC §17: BRANCH_OFFICE, the kiosk's default, and the
 * branch a tool or test names), created with the default zone and closing time and no hours when
 * missing. Never changes an existing one.
 */
export async function ensureBranch(db: Queryable, branch: { name: string; timeZone: string; closingTime: string }): Promise<void> {
  for (let suffix = 1; suffix <= 20; suffix++) {
    const [row] = await db.execute<{ present: boolean }[]>(
      `with made as (
         insert into branch (code, name, timezone, closing_time) values (?, ?, ?, ?) on conflict do nothing returning 1
       )
       select exists(select 1 from made) or exists(select 1 from branch where name = ?) as present`,
      [branchCodeFromName(branch.name, suffix), branch.name, branch.timeZone, branch.closingTime, branch.name],
    );
    if (row?.present) return;
  }
  throw new Error(`no se pudo crear la sucursal ${branch.name}: sus códigos están tomados`);
}
