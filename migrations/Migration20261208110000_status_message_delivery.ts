import { Migration } from '@mikro-orm/migrations';

/**
 * The "Mi turno" message as a planned edit (issue 17): the status-messages job writes the text the
 * message should show (`pending_text`); the dispatcher makes the edit under its rate cap, circuit
 * breaker and retry rules (a 429, a 5xx or a network error waits until `next_attempt_at`, `esperas`
 * counting the waits, and the message is kept), then moves the text to `last_text`.
 */
export class Migration20261208110000_status_message_delivery extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "telegram_status_message" add column "pending_text" text null, add column "next_attempt_at" timestamp null, add column "esperas" int not null default 0;`);
    this.addSql(`create index "idx_telegram_status_message_due" on "telegram_status_message" ("next_attempt_at") where pending_text is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "idx_telegram_status_message_due";`);
    this.addSql(`alter table "telegram_status_message" drop column "pending_text", drop column "next_attempt_at", drop column "esperas";`);
  }
}
