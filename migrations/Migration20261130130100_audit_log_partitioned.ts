import { Migration } from '@mikro-orm/migrations';

/**
 * `audit_log` partitioned by month on `created_at` (the seed's plan, SPEC §16), converted in
 * place without copying a row: the existing table is renamed and attached as the first partition
 * (`audit_log_legacy`, everything before the start of next month), so the conversion holds its
 * ACCESS EXCLUSIVE lock only for catalogue changes plus two scans of the old table — one to check
 * its bound (a CHECK constraint added first, so ATTACH skips its own scan) and one to build the
 * (id, created_at) primary key PostgreSQL requires of a partitioned table. The other indexes are
 * reused, not rebuilt. Measured (docs/scaling.md): about 1.5 s under the lock for 3 M rows. A
 * unique index on (id, created_at) built beforehand CONCURRENTLY does not shorten it: ATTACH
 * adopts only a PRIMARY KEY constraint for the parent's primary key, and builds its own.
 * Monthly partitions after it (`audit_log_yYYYYmMM`) are created ahead by the daily maintenance
 * (src/modules/audit/audit-partitions.ts); a DEFAULT partition catches anything outside them.
 * The primary key becomes (id, created_at); ids still come from the same sequence, unique.
 */
export class Migration20261130130100_audit_log_partitioned extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "audit_log" rename to "audit_log_legacy";`);
    // A partition cannot keep a primary key of its own: the parent's (id, created_at) replaces it.
    this.addSql(`alter table "audit_log_legacy" drop constraint "audit_log_pkey";`);
    this.addSql(`alter index "idx_audit_entity" rename to "audit_log_legacy_entity";`);
    this.addSql(`alter index "idx_audit_event_type" rename to "audit_log_legacy_event_type";`);
    this.addSql(`alter index "idx_audit_created_at" rename to "audit_log_legacy_created_at";`);
    this.addSql(`alter index "idx_audit_actor" rename to "audit_log_legacy_actor";`);
    this.addSql(`create table "audit_log" ("id" bigint not null default nextval('audit_log_id_seq'), "entity_type" varchar(50) not null, "entity_id" varchar(50) not null, "event_type" varchar(50) not null, "actor" varchar(100) null, "old_state" json null, "new_state" json null, "additional_data" json null, "ip_address" varchar(45) null, "user_agent" varchar(500) null, "created_at" timestamp not null default current_timestamp, constraint "audit_log_pkey" primary key ("id", "created_at")) partition by range ("created_at");`);
    this.addSql(`alter table "audit_log_legacy" alter column "id" drop default;`);
    this.addSql(`alter sequence "audit_log_id_seq" owned by "audit_log"."id";`);
    this.addSql(`create index "idx_audit_entity" on "audit_log" ("entity_type", "entity_id");`);
    this.addSql(`create index "idx_audit_event_type" on "audit_log" ("event_type");`);
    this.addSql(`create index "idx_audit_created_at" on "audit_log" ("created_at" desc);`);
    this.addSql(`create index "idx_audit_actor" on "audit_log" ("actor");`);
    this.addSql(`do $$
declare bound text := to_char(date_trunc('month', now() at time zone 'UTC') + interval '1 month', 'YYYY-MM-DD');
begin
  execute format('alter table audit_log_legacy add constraint audit_log_legacy_bound check (created_at < %L)', bound);
  execute format('alter table audit_log attach partition audit_log_legacy for values from (minvalue) to (%L)', bound);
  execute 'alter table audit_log_legacy drop constraint audit_log_legacy_bound';
end $$;`);
    this.addSql(`create table "audit_log_default" partition of "audit_log" default;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create table "audit_log_plain" (like "audit_log" including defaults);`);
    this.addSql(`insert into "audit_log_plain" select * from "audit_log";`);
    this.addSql(`alter sequence "audit_log_id_seq" owned by none;`);
    this.addSql(`drop table "audit_log" cascade;`);
    this.addSql(`alter table "audit_log_plain" rename to "audit_log";`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_pkey" primary key ("id");`);
    this.addSql(`alter sequence "audit_log_id_seq" owned by "audit_log"."id";`);
    this.addSql(`create index "idx_audit_entity" on "audit_log" ("entity_type", "entity_id");`);
    this.addSql(`create index "idx_audit_event_type" on "audit_log" ("event_type");`);
    this.addSql(`create index "idx_audit_created_at" on "audit_log" ("created_at" desc);`);
    this.addSql(`create index "idx_audit_actor" on "audit_log" ("actor");`);
  }

}
