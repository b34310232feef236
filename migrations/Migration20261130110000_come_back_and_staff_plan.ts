import { Migration } from '@mikro-orm/migrations';

export class Migration20261130110000_come_back_and_staff_plan extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "advisor_plan" ("id" bigserial primary key, "advisor_id" bigint not null, "plan_date" date not null, "shifts" jsonb not null, "breaks" jsonb not null, "updated_at" timestamp not null default current_timestamp);`);
    this.addSql(`create index "idx_advisor_plan_date" on "advisor_plan" ("plan_date");`);
    this.addSql(`alter table "advisor_plan" add constraint "uq_advisor_plan_advisor_date" unique ("advisor_id", "plan_date");`);

    this.addSql(`create table "ticket_come_back" ("ticket_id" bigint not null, "lead_minutes" int not null, "notified_at" timestamp null, "created_at" timestamp not null default current_timestamp, constraint "ticket_come_back_pkey" primary key ("ticket_id"), constraint ticket_come_back_lead_minutes_check check (lead_minutes >= 1 and lead_minutes <= 120));`);

    this.addSql(`alter table "advisor_plan" add constraint "advisor_plan_advisor_id_foreign" foreign key ("advisor_id") references "advisor" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "ticket_come_back" add constraint "ticket_come_back_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "advisor_plan" cascade;`);

    this.addSql(`drop table if exists "ticket_come_back" cascade;`);
  }

}
