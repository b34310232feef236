import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §20: per branch × service day, the day's rollups summed (every queue, period and advisor):
 * what the day/week/month and national reports read. Written by RollupService with the day.
 */
export class Migration20261207140100_report_daily_rollup extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "report_daily_rollup" ("branch_id" bigint not null, "service_date" date not null, "arrived" int not null default 0, "served" int not null default 0, "no_shows" int not null default 0, "cancelled" int not null default 0, "walkouts" int not null default 0, "transferred" int not null default 0, "called" int not null default 0, "called_within_sla" int not null default 0, "wait_sum_seconds" bigint not null default 0, "wait_hist" int[] not null, "service_count" int not null default 0, "service_sum_seconds" bigint not null default 0, "service_sum_sq_seconds" double precision not null default 0, "rating_count" int not null default 0, "rating_sum" int not null default 0, "available_seconds" bigint not null default 0, "calling_seconds" bigint not null default 0, "serving_seconds" bigint not null default 0, "paused_seconds" bigint not null default 0, "updated_at" timestamp not null, constraint "report_daily_rollup_pkey" primary key ("branch_id", "service_date"));`);
    this.addSql(`create index "idx_report_daily_rollup_date" on "report_daily_rollup" ("service_date");`);

    this.addSql(`alter table "report_daily_rollup" add constraint "report_daily_rollup_branch_id_foreign" foreign key ("branch_id") references "branch" ("id") on update no action on delete no action;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "report_daily_rollup" cascade;`);
  }

}
