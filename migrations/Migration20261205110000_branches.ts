import { Migration } from '@mikro-orm/migrations';

/** The text columns that name a branch (the seed's `branch_office`), kept: each must name a branch row. */
const NAMING_TABLES = ['advisor', 'ticket', 'ticket_daily_counter', 'queue_call_state', 'ticket_visit'] as const;

const CLOSING = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A SQL string literal (addSql takes no parameters). */
const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * Branches as data (SPEC §17). One `branch` row per branch name already in use plus BRANCH_OFFICE,
 * with TZ_BRANCH and BRANCH_CLOSING_TIME as their time zone and closing time and no opening hours
 * (so they behave as before: tickets at any hour, the day ends at the closing time).
 *
 * The `branch_office` text columns stay (every statement and index reads them). They refer to
 * `branch(name)` through triggers that behave as a foreign key with ON UPDATE CASCADE: the check
 * takes the same FOR KEY SHARE lock a foreign key takes (a rename waits for the insert, and the
 * other way round), and a rename rewrites every row that names the branch in the same transaction.
 * A real foreign key to a unique non-primary column cannot be declared on MikroORM 6's entities,
 * whose schema diff would then drop it.
 *
 * The branch's day lives in SQL functions used by every statement that needs it (numbering, the
 * day's end, supervision, screens, maintenance): branch_service_date, branch_day_start,
 * branch_day_end, branch_opening, and branch_days for set-based sweeps over every branch.
 */
export class Migration20261205110000_branches extends Migration {

  override async up(): Promise<void> {
    const defaultBranch = process.env.BRANCH_OFFICE?.trim() || 'Sucursal Centro';
    const zone = process.env.TZ_BRANCH?.trim() || 'America/Santiago';
    const closingEnv = process.env.BRANCH_CLOSING_TIME?.trim() ?? '';
    const closing = CLOSING.test(closingEnv) ? closingEnv : '19:00';

    this.addSql(`create or replace function is_time_zone(tz text) returns boolean language plpgsql immutable as $$
begin
  perform now() at time zone tz;
  return tz is not null and tz <> '' and tz !~ '^[+-]?[0-9]';
exception when others then
  return false;
end $$;`);

    this.addSql(`create table "branch" ("id" bigserial primary key, "code" varchar(20) not null, "name" varchar(100) not null, "region" varchar(100) null, "comuna" varchar(100) null, "address" varchar(200) null, "latitude" double precision null, "longitude" double precision null, "timezone" text not null, "hours" jsonb null, "closing_time" varchar(5) not null default '19:00', "closed_dates" jsonb not null default '[]', "queues" jsonb not null default '[{"queueType": "CAJA"}, {"queueType": "PERSONAL_BANKER"}, {"queueType": "EMPRESAS"}, {"queueType": "GERENCIA"}]', "active" boolean not null default true, "created_at" timestamp not null default current_timestamp, "updated_at" timestamp not null default current_timestamp, constraint branch_code_check check (code ~ '^[A-Z0-9-]{2,20}$'), constraint branch_closing_time_check check (closing_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'));`);
    // The zone is checked against PostgreSQL's own list (a trigger: MikroORM's schema diff cannot
    // round-trip a CHECK that calls a function).
    this.addSql(`create or replace function branch_timezone_check() returns trigger language plpgsql as $$
begin
  if not is_time_zone(new.timezone) then
    raise exception 'zona horaria desconocida: %', new.timezone using errcode = 'check_violation', constraint = 'branch_timezone_check';
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger branch_timezone_check before insert or update of timezone on branch for each row execute function branch_timezone_check();`);
    this.addSql(`alter table "branch" add constraint "branch_code_unique" unique ("code");`);
    this.addSql(`alter table "branch" add constraint "branch_name_unique" unique ("name");`);

    // One branch per name in use (and the default one), its code derived from the name.
    const names = NAMING_TABLES.map((t) => `select branch_office as name from "${t}"`).join(' union ');
    this.addSql(`with names as (
  select name from (${names} union select ${literal(defaultBranch)}) n where name is not null
), based as (
  select name, coalesce(nullif(left(trim(both '-' from regexp_replace(upper(translate(name, 'áéíóúüñÁÉÍÓÚÜÑ', 'aeiouunAEIOUUN')), '[^A-Z0-9]+', '-', 'g')), 20), ''), 'SUCURSAL') as base
  from names
), numbered as (
  select name, base, row_number() over (partition by base order by name) as n from based
)
insert into branch (code, name, timezone, closing_time)
select case when n = 1 and length(base) >= 2 then base else left(base, 15) || '-' || n end, name, ${literal(zone)}, ${literal(closing)}
from numbered`);

    this.addSql(`create or replace function branch_name_must_exist() returns trigger language plpgsql as $$
begin
  if new.branch_office is not null then
    perform 1 from branch where name = new.branch_office for key share;
    if not found then
      raise exception 'la sucursal "%" no existe', new.branch_office
        using errcode = 'foreign_key_violation', constraint = tg_table_name || '_branch_office_branch_fk';
    end if;
  end if;
  return new;
end $$;`);
    for (const table of NAMING_TABLES) {
      this.addSql(`create trigger ${table}_branch_office_branch_fk before insert or update of branch_office on "${table}"
  for each row execute function branch_name_must_exist();`);
    }
    const cascades = NAMING_TABLES.map((t) => `  update "${t}" set branch_office = new.name where branch_office = old.name;`).join('\n');
    this.addSql(`create or replace function branch_rename_cascade() returns trigger language plpgsql as $$
begin
${cascades}
  return null;
end $$;`);
    this.addSql(`create trigger branch_rename_cascade after update of name on branch
  for each row when (old.name is distinct from new.name) execute function branch_rename_cascade();`);
    const uses = NAMING_TABLES.map((t) => `exists (select 1 from "${t}" where branch_office = old.name)`).join(' or ');
    this.addSql(`create or replace function branch_delete_restrict() returns trigger language plpgsql as $$
begin
  if ${uses} then
    raise exception 'la sucursal "%" tiene registros: se desactiva, no se borra', old.name
      using errcode = 'foreign_key_violation', constraint = 'branch_in_use';
  end if;
  return old;
end $$;`);
    this.addSql(`create trigger branch_delete_restrict before delete on branch for each row execute function branch_delete_restrict();`);

    // The branch's day. Instants are UTC \`timestamp\`s, as every column holds them.
    this.addSql(`create or replace function branch_local_date(tz text, p_at timestamp) returns date language sql immutable parallel safe as $$
  select ((p_at at time zone 'UTC') at time zone tz)::date
$$;`);
    this.addSql(`create or replace function branch_local_instant(tz text, day date, local_time text) returns timestamp language sql immutable parallel safe as $$
  select ((day + local_time::time) at time zone tz) at time zone 'UTC'
$$;`);
    // The local closing time of a day: the last period's end, the closing time when the branch has no
    // hours, null on a closed date or a weekday without hours.
    this.addSql(`create or replace function branch_closing_of(hours jsonb, closing_time text, closed_dates jsonb, day date) returns text language sql immutable parallel safe as $$
  select case
    when jsonb_exists(closed_dates, to_char(day, 'YYYY-MM-DD')) then null
    when hours is null then closing_time
    else (select max(p->>'closes') from jsonb_array_elements(coalesce(hours->(extract(isodow from day)::int::text), '[]'::jsonb)) p)
  end
$$;`);
    this.addSql(`create or replace function branch_service_date(branch_name text, p_at timestamp) returns date language sql stable parallel safe as $$
  select branch_local_date(b.timezone, p_at) from branch b where b.name = branch_name
$$;`);
    this.addSql(`create or replace function branch_day_start(branch_name text, p_at timestamp) returns timestamp language sql stable parallel safe as $$
  select branch_local_instant(b.timezone, branch_local_date(b.timezone, p_at), '00:00') from branch b where b.name = branch_name
$$;`);
    // Every branch's day at an instant, for the set-based sweeps (the day's end, the daily figures).
    this.addSql(`create or replace function branch_days(p_at timestamp) returns table (branch_office text, timezone text, service_date date, day_start timestamp, day_end timestamp) language sql stable parallel safe as $$
  select b.name, b.timezone, d.day, branch_local_instant(b.timezone, d.day, '00:00'),
         branch_local_instant(b.timezone, d.day, branch_closing_of(b.hours, b.closing_time, b.closed_dates, d.day))
  from branch b cross join lateral (select branch_local_date(b.timezone, p_at) as day) d
$$;`);
    this.addSql(`create or replace function branch_day_end(branch_name text, p_at timestamp) returns timestamp language sql stable parallel safe as $$
  select day_end from branch_days(p_at) where branch_office = branch_name
$$;`);
    // Null while the branch takes tickets (from early_minutes before a period opens until it
    // closes); otherwise the next opening instant within three weeks ('infinity' when none). A
    // branch without hours is open all day, every day but its closed dates.
    this.addSql(`create or replace function branch_opening(branch_name text, p_at timestamp, early_minutes int) returns timestamp language sql stable parallel safe as $$
  with b as (select * from branch where name = branch_name),
  periods as (
    select branch_local_instant(b.timezone, d.day, p->>'opens') as opens,
           branch_local_instant(b.timezone, d.day, p->>'closes') as closes
    from b
    cross join lateral (select branch_local_date(b.timezone, p_at) + i as day from generate_series(-1, 21) i) d
    cross join lateral jsonb_array_elements(case when b.hours is null then '[{"opens": "00:00", "closes": "24:00"}]'::jsonb
      else coalesce(b.hours->(extract(isodow from d.day)::int::text), '[]'::jsonb) end) p
    where not jsonb_exists(b.closed_dates, to_char(d.day, 'YYYY-MM-DD'))
  )
  select case
    when exists (select 1 from periods where p_at >= opens - make_interval(mins => early_minutes) and p_at < closes) then null
    else coalesce((select min(opens) from periods where opens > p_at), 'infinity'::timestamp)
  end
$$;`);
  }

  override async down(): Promise<void> {
    for (const table of NAMING_TABLES) this.addSql(`drop trigger if exists ${table}_branch_office_branch_fk on "${table}";`);
    this.addSql(`drop table if exists "branch" cascade;`);
    this.addSql(`drop function if exists branch_opening(text, timestamp, int);`);
    this.addSql(`drop function if exists branch_day_end(text, timestamp);`);
    this.addSql(`drop function if exists branch_days(timestamp);`);
    this.addSql(`drop function if exists branch_day_start(text, timestamp);`);
    this.addSql(`drop function if exists branch_service_date(text, timestamp);`);
    this.addSql(`drop function if exists branch_closing_of(jsonb, text, jsonb, date);`);
    this.addSql(`drop function if exists branch_local_instant(text, date, text);`);
    this.addSql(`drop function if exists branch_local_date(text, timestamp);`);
    this.addSql(`drop function if exists branch_delete_restrict();`);
    this.addSql(`drop function if exists branch_rename_cascade();`);
    this.addSql(`drop function if exists branch_name_must_exist();`);
    this.addSql(`drop function if exists branch_timezone_check();`);
    this.addSql(`drop function if exists is_time_zone(text);`);
  }

}
