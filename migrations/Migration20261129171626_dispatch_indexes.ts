import { Migration } from '@mikro-orm/migrations';

export class Migration20261129171626_dispatch_indexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "idx_mensaje_pendiente_fecha" on "mensaje" ("fecha_programada", "id") where estado_envio = 'PENDIENTE';`);
    this.addSql(`create index "idx_mensaje_pendiente_turno" on "mensaje" ("fecha_programada", "id") where estado_envio = 'PENDIENTE' and plantilla = 'TOTEM_ES_TU_TURNO';`);
    this.addSql(`create index "idx_mensaje_pendiente_ticket" on "mensaje" ("ticket_id", "id") where estado_envio = 'PENDIENTE';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "idx_mensaje_pendiente_fecha";`);
    this.addSql(`drop index "idx_mensaje_pendiente_turno";`);
    this.addSql(`drop index "idx_mensaje_pendiente_ticket";`);
  }

}
