import { Migration } from '@mikro-orm/migrations';

/**
 * Which Telegram errors spend a message's attempts (SPEC §15): only an answer about the chat or
 * the message (400, 403). A 5xx, a 429 or a network error never does; such a message waits with a
 * backoff (the retry schedule, capped at 60 s) until it is sent or its moment passes. `esperas`
 * counts those unspent waits, so the backoff grows without touching `intentos`.
 */
export class Migration20261205150000_mensaje_esperas extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "mensaje" add column "esperas" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "mensaje" drop column "esperas";`);
  }

}
