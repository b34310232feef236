import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §19: `POST /api/tickets` honours an `Idempotency-Key` for 24 h, for every client and across
 * every app instance. The key's row is inserted in the same transaction as the ticket, so two
 * requests with one key are settled by the primary key: the second waits for the first to commit
 * and then replays it. Only hashes are kept (of the client and key, and of the request).
 */
export class Migration20261205130000_idempotency_keys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ticket_idempotency_key" ("key_hash" varchar(64) not null, "request_hash" varchar(64) not null, "ticket_id" bigint null, "response" jsonb null, "created_at" timestamp not null default current_timestamp, constraint "ticket_idempotency_key_pkey" primary key ("key_hash"));`);
    this.addSql(`create index "idx_ticket_idempotency_key_created_at" on "ticket_idempotency_key" ("created_at");`);
    this.addSql(`alter table "ticket_idempotency_key" add constraint "ticket_idempotency_key_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ticket_idempotency_key" cascade;`);
  }

}
