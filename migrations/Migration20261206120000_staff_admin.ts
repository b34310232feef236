import { Migration } from '@mikro-orm/migrations';

/**
 * Staff managed as data (SPEC §17). An advisor can be deactivated (`active = false`: history kept,
 * never assigned again — the database holds an inactive advisor OFFLINE, and only AVAILABLE
 * advisors are assigned). A module number is unique among the active advisors of a branch, and an
 * email unique without regard to case, both enforced by unique indexes. A real branch has more
 * than five modules: module numbers (the advisor's and the one a ticket was called to) go 1–99.
 *
 * Rows already in conflict (two active advisors of a branch on one module, or two emails differing
 * only in case) would make the indexes fail half-way: the migration names them and stops first.
 */
/** The seed's text columns naming a branch, as Migration20261205110000_branches cascades them. */
const RENAMED = ['advisor', 'ticket', 'ticket_daily_counter', 'queue_call_state', 'ticket_visit'] as const;

export class Migration20261206120000_staff_admin extends Migration {

  override async up(): Promise<void> {
    this.addSql(`do $$
declare clash text;
begin
  select string_agg(format('%s módulo %s', branch_office, module_number), '; ') into clash
  from (select branch_office, module_number from advisor group by 1, 2 having count(*) > 1) d;
  if clash is not null then
    raise exception 'asesores de una misma sucursal comparten módulo (%): corríjalos antes de migrar', clash;
  end if;
  select string_agg(e, '; ') into clash from (select lower(email) as e from advisor group by 1 having count(*) > 1) d;
  if clash is not null then
    raise exception 'emails de asesores repetidos sin distinguir mayúsculas (%): corríjalos antes de migrar', clash;
  end if;
end $$;`);
    this.addSql(`alter table "advisor" add column "active" boolean not null default true;`);
    this.addSql(`alter table "advisor" add constraint advisor_active_offline_check check (active = true or status = 'OFFLINE');`);
    this.addSql(`alter table "advisor" drop constraint advisor_module_number_check;`);
    this.addSql(`alter table "advisor" add constraint advisor_module_number_check check (module_number >= 1 and module_number <= 99);`);
    this.addSql(`alter table "ticket" drop constraint ticket_assigned_module_number_check;`);
    this.addSql(`alter table "ticket" add constraint ticket_assigned_module_number_check check (assigned_module_number >= 1 and assigned_module_number <= 99);`);
    this.addSql(`create unique index "uq_advisor_email_lower" on "advisor" (lower(email));`);
    this.addSql(`create unique index "uq_advisor_active_module" on "advisor" ("branch_office", "module_number") where active;`);

    // Renaming a branch keeps history consistent: besides the seed's columns, a SUPERVISOR's grants
    // and an integration token's branches follow the new name in the same transaction.
    this.addSql(`create or replace function branch_rename_cascade() returns trigger language plpgsql as $$
begin
${RENAMED.map((t) => `  update "${t}" set branch_office = new.name where branch_office = old.name;`).join('\n')}
  update "staff_branch_grant" set branch_office = new.name where branch_office = old.name;
  update "api_token" set branches = (
    select coalesce(jsonb_agg(case when b = to_jsonb(old.name) then to_jsonb(new.name) else b end), '[]'::jsonb) from jsonb_array_elements(branches) b
  ) where branches @> jsonb_build_array(old.name);
  return null;
end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function branch_rename_cascade() returns trigger language plpgsql as $$
begin
${RENAMED.map((t) => `  update "${t}" set branch_office = new.name where branch_office = old.name;`).join('\n')}
  return null;
end $$;`);
    this.addSql(`drop index if exists "uq_advisor_active_module";`);
    this.addSql(`drop index if exists "uq_advisor_email_lower";`);
    this.addSql(`alter table "ticket" drop constraint ticket_assigned_module_number_check;`);
    this.addSql(`alter table "ticket" add constraint ticket_assigned_module_number_check check (assigned_module_number >= 1 and assigned_module_number <= 5);`);
    this.addSql(`alter table "advisor" drop constraint advisor_module_number_check;`);
    this.addSql(`alter table "advisor" add constraint advisor_module_number_check check (module_number >= 1 and module_number <= 5);`);
    this.addSql(`alter table "advisor" drop constraint advisor_active_offline_check;`);
    this.addSql(`alter table "advisor" drop column "active";`);
  }

}
