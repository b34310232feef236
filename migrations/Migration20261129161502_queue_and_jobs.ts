import { Migration } from '@mikro-orm/migrations';

export class Migration20261129161502_queue_and_jobs extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "advisor_link_code" ("id" bigserial primary key, "advisor_id" bigint not null, "code_hash" varchar(64) not null, "expires_at" timestamp not null, "used_at" timestamp null, "used_by_telegram_user_id" bigint null, "created_at" timestamp not null default current_timestamp);`);
    this.addSql(`alter table "advisor_link_code" add constraint "advisor_link_code_code_hash_unique" unique ("code_hash");`);

    this.addSql(`create table "job_run" ("name" varchar(50) not null, "last_started_at" timestamp null, "last_finished_at" timestamp null, "last_succeeded_at" timestamp null, "last_status" varchar(20) null, "last_error" text null, "last_duration_ms" int null, "runs" int not null default 0, "failures" int not null default 0, constraint "job_run_pkey" primary key ("name"));`);

    this.addSql(`alter table "advisor_link_code" add constraint "advisor_link_code_advisor_id_foreign" foreign key ("advisor_id") references "advisor" ("id") on update no action on delete cascade;`);

    this.addSql(`create unique index "uq_ticket_advisor_serving" on "ticket" ("assigned_advisor_id") where status = 'ATENDIENDO';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "advisor_link_code" cascade;`);

    this.addSql(`drop table if exists "job_run" cascade;`);

    this.addSql(`drop index if exists "uq_ticket_advisor_serving";`);
  }

}
