import { Migration } from '@mikro-orm/migrations';

/**
 * The customer's verified RUT (SPEC §22): only one chat may hold a verified RUT (a unique
 * constraint; a newer verification takes it from the older chat, which is told), and the bot's
 * single-use "Verificar mi RUT" links (SHA-256 only, 15 minutes).
 */
export class Migration20261207110100_verified_rut extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "rut_verification_link" ("id" bigserial primary key, "token_hash" varchar(64) not null, "chat_id" bigint not null, "created_at" timestamp not null, "expires_at" timestamp not null, "used_at" timestamp null);`);
    this.addSql(`alter table "rut_verification_link" add constraint "rut_verification_link_token_hash_unique" unique ("token_hash");`);
    // Before the constraint, a RUT verified in several chats stays with the newest verification.
    this.addSql(`delete from "telegram_verified_rut" v using "telegram_verified_rut" newer
      where newer.national_id_bidx = v.national_id_bidx and (newer.verified_at, newer.chat_id) > (v.verified_at, v.chat_id);`);
    this.addSql(`drop index "idx_telegram_verified_rut_bidx";`);
    this.addSql(`alter table "telegram_verified_rut" add constraint "telegram_verified_rut_national_id_bidx_unique" unique ("national_id_bidx");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "telegram_verified_rut" drop constraint "telegram_verified_rut_national_id_bidx_unique";`);
    this.addSql(`create index "idx_telegram_verified_rut_bidx" on "telegram_verified_rut" ("national_id_bidx");`);
    this.addSql(`drop table if exists "rut_verification_link" cascade;`);
  }

}
