import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §20: the report rollups (see src/modules/reports/report.entities.ts and docs/reports.md):
 * per branch × queue × service day × 30-minute period, and per branch × day × period × advisor.
 * Written only by RollupService; kept 3 years by the daily maintenance.
 */
export class Migration20261207140000_report_rollups extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "report_advisor_rollup" ("branch_id" bigint not null, "service_date" date not null, "period" smallint not null, "advisor_id" bigint not null, "served" int not null default 0, "service_count" int not null default 0, "service_sum_seconds" bigint not null default 0, "rating_count" int not null default 0, "rating_sum" int not null default 0, "available_seconds" int not null default 0, "calling_seconds" int not null default 0, "serving_seconds" int not null default 0, "paused_seconds" int not null default 0, "updated_at" timestamp not null, constraint "report_advisor_rollup_pkey" primary key ("branch_id", "service_date", "period", "advisor_id"), constraint report_advisor_rollup_period_check check (period >= 0 and period <= 47));`);
    this.addSql(`create index "idx_report_advisor_rollup_date" on "report_advisor_rollup" ("service_date");`);

    this.addSql(`create table "report_rollup" ("branch_id" bigint not null, "service_date" date not null, "queue_type" varchar(20) not null, "period" smallint not null, "arrived" int not null default 0, "served" int not null default 0, "no_shows" int not null default 0, "cancelled" int not null default 0, "walkouts" int not null default 0, "transferred" int not null default 0, "called" int not null default 0, "called_within_sla" int not null default 0, "wait_sum_seconds" bigint not null default 0, "wait_hist" int[] not null, "service_count" int not null default 0, "service_sum_seconds" bigint not null default 0, "service_sum_sq_seconds" double precision not null default 0, "rating_count" int not null default 0, "rating_sum" int not null default 0, "updated_at" timestamp not null, constraint "report_rollup_pkey" primary key ("branch_id", "service_date", "queue_type", "period"), constraint report_rollup_queue_type_check check (queue_type = 'CAJA' or queue_type = 'PERSONAL_BANKER' or queue_type = 'EMPRESAS' or queue_type = 'GERENCIA'), constraint report_rollup_period_check check (period >= 0 and period <= 47));`);
    this.addSql(`create index "idx_report_rollup_date" on "report_rollup" ("service_date");`);

    this.addSql(`alter table "report_advisor_rollup" add constraint "report_advisor_rollup_branch_id_foreign" foreign key ("branch_id") references "branch" ("id") on update no action on delete no action;`);

    this.addSql(`alter table "report_rollup" add constraint "report_rollup_branch_id_foreign" foreign key ("branch_id") references "branch" ("id") on update no action on delete no action;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "report_advisor_rollup" cascade;`);

    this.addSql(`drop table if exists "report_rollup" cascade;`);
  }

}
