import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §18: a SUPERVISOR's branch grant names a real branch. `staff_branch_grant.branch_office`
 * refers to `branch(name)` the way the other `branch_office` columns do (Migration20261205110000_branches):
 * the same check trigger (`branch_name_must_exist`, FOR KEY SHARE, SQLSTATE 23503) on insert and
 * update, a rename of the branch carries the grants in the same transaction (ON UPDATE CASCADE),
 * and a branch that still has grants cannot be deleted (it is deactivated instead). These are
 * triggers of their own, so they stand whatever else redefines `branch_rename_cascade`.
 *
 * Grants that already name a branch that does not exist are dropped first, each named in the
 * migration's notice (a grant to nothing gave no access anyway: every route checks a real branch).
 */
export class Migration20261206110000_staff_grant_branch_fk extends Migration {

  override async up(): Promise<void> {
    this.addSql(`do $$
declare dangling text;
begin
  select string_agg(format('cuenta %s → "%s"', g.account_id, g.branch_office), '; ') into dangling
    from staff_branch_grant g where not exists (select 1 from branch b where b.name = g.branch_office);
  if dangling is not null then
    raise notice 'permisos de sucursal sin sucursal, eliminados: %', dangling;
    delete from staff_branch_grant g where not exists (select 1 from branch b where b.name = g.branch_office);
  end if;
end $$;`);
    this.addSql(`create trigger staff_branch_grant_branch_office_branch_fk before insert or update of branch_office on "staff_branch_grant"
  for each row execute function branch_name_must_exist();`);
    this.addSql(`create or replace function branch_rename_cascade_grants() returns trigger language plpgsql as $$
begin
  update "staff_branch_grant" set branch_office = new.name where branch_office = old.name;
  return null;
end $$;`);
    this.addSql(`create trigger branch_rename_cascade_grants after update of name on branch
  for each row when (old.name is distinct from new.name) execute function branch_rename_cascade_grants();`);
    this.addSql(`create or replace function branch_delete_restrict_grants() returns trigger language plpgsql as $$
begin
  if exists (select 1 from "staff_branch_grant" where branch_office = old.name) then
    raise exception 'la sucursal "%" tiene permisos de supervisores: se desactiva, no se borra', old.name
      using errcode = 'foreign_key_violation', constraint = 'branch_in_use';
  end if;
  return old;
end $$;`);
    this.addSql(`create trigger branch_delete_restrict_grants before delete on branch for each row execute function branch_delete_restrict_grants();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists branch_delete_restrict_grants on branch;`);
    this.addSql(`drop function if exists branch_delete_restrict_grants();`);
    this.addSql(`drop trigger if exists branch_rename_cascade_grants on branch;`);
    this.addSql(`drop function if exists branch_rename_cascade_grants();`);
    this.addSql(`drop trigger if exists staff_branch_grant_branch_office_branch_fk on "staff_branch_grant";`);
  }

}
