import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §17: devices (a branch's tótems and screens) with their own tokens — random, shown once,
 * only the SHA-256 kept, revoked by `revoked_at` — bound to one branch by a real foreign key (a
 * rename of the branch keeps them). A KIOSK may have a network printer (SPEC §19: host and port
 * together). A ticket records the device that took it.
 */
export class Migration20261206130000_devices extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "device" ("id" bigserial primary key, "kind" varchar(10) not null, "branch_id" bigint not null, "name" varchar(100) not null, "token_hash" varchar(64) not null, "token_prefix" varchar(20) not null, "created_by" varchar(100) null, "created_at" timestamp not null default current_timestamp, "last_seen_at" timestamp null, "revoked_at" timestamp null, "printer_host" varchar(255) null, "printer_port" int null, constraint device_kind_check check (kind = 'KIOSK' or kind = 'SCREEN'), constraint device_printer_port_check check (printer_port >= 1 and printer_port <= 65535), constraint device_printer_check check ((printer_host is null) = (printer_port is null)));`);
    this.addSql(`create index "idx_device_branch" on "device" ("branch_id");`);
    this.addSql(`alter table "device" add constraint "device_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "device" add constraint "device_branch_id_foreign" foreign key ("branch_id") references "branch" ("id") on update no action on delete no action;`);
    this.addSql(`alter table "ticket" add column "device_id" bigint null;`);
    this.addSql(`alter table "ticket" add constraint "ticket_device_id_foreign" foreign key ("device_id") references "device" ("id") on update no action on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket" drop constraint if exists "ticket_device_id_foreign";`);
    this.addSql(`alter table "ticket" drop column if exists "device_id";`);
    this.addSql(`drop table if exists "device" cascade;`);
  }

}
