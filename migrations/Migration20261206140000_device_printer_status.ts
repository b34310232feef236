import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §19: each kiosk device's printer as its last ticket found it (IMPRESA, SIN_PAPEL or
 * DESCONECTADA, since when): the supervisor dashboard's TOTEM_SIN_PAPEL / IMPRESORA_DESCONECTADA.
 */
export class Migration20261206140000_device_printer_status extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "device_printer_status" ("device_id" bigint not null, "estado" varchar(20) not null, "motivo" varchar(30) null, "since" timestamp not null, "updated_at" timestamp not null, constraint "device_printer_status_pkey" primary key ("device_id"), constraint device_printer_status_estado_check check (estado = 'IMPRESA' or estado = 'SIN_PAPEL' or estado = 'DESCONECTADA'));`);
    this.addSql(`alter table "device_printer_status" add constraint "device_printer_status_device_id_foreign" foreign key ("device_id") references "device" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "device_printer_status" cascade;`);
  }

}
