import { Migration } from '@mikro-orm/migrations';

/**
 * The wait estimator's service statistics (SPEC §13) read the customers COMPLETADO in the last
 * 28 days on every refresh (once a minute, in the queue job and on a kiosk request). With a year of
 * a busy branch (the year bench: 9 M tickets, 4.8 GB of heap) the only way to them was a
 * sequential scan of the whole table; this partial index reaches the window directly.
 */
export class Migration20261204200000_ticket_completed_index extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "idx_ticket_completed_at" on "ticket" ("completed_at") where status = 'COMPLETADO';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "idx_ticket_completed_at";`);
  }

}
