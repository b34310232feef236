import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §19: the tótem's QR opens the bot with an opaque, single-use token, and the printed short
 * code does the same through `/turno CODE`. Only hashes are kept; a token is valid until the end of
 * the branch's day and spent the first time a chat uses it (or any other token of its ticket).
 */
export class Migration20261205130100_ticket_link_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ticket_link_token" ("id" bigserial primary key, "ticket_id" bigint not null, "token_hash" varchar(64) not null, "short_code_hash" varchar(64) not null, "expires_at" timestamp not null, "used_at" timestamp null, "used_by_chat_id" bigint null, "created_at" timestamp not null default current_timestamp);`);
    this.addSql(`create index "idx_ticket_link_token_ticket" on "ticket_link_token" ("ticket_id");`);
    this.addSql(`create index "idx_ticket_link_token_expires_at" on "ticket_link_token" ("expires_at");`);
    this.addSql(`alter table "ticket_link_token" add constraint "ticket_link_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "ticket_link_token" add constraint "ticket_link_token_short_code_hash_unique" unique ("short_code_hash");`);
    this.addSql(`alter table "ticket_link_token" add constraint "ticket_link_token_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ticket_link_token" cascade;`);
  }

}
