import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §19: the tótem asks for an optional phone with its own consent checkbox, unticked by
 * default; when the customer ticks it, when they did is kept beside the ticket.
 */
export class Migration20261205130200_ticket_phone_consent extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ticket_phone_consent" ("ticket_id" bigint not null, "consented_at" timestamp not null, constraint "ticket_phone_consent_pkey" primary key ("ticket_id"));`);
    this.addSql(`alter table "ticket_phone_consent" add constraint "ticket_phone_consent_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ticket_phone_consent" cascade;`);
  }

}
