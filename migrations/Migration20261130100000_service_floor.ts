import { Migration } from '@mikro-orm/migrations';

/**
 * The service floor (SPEC §12): called vs served, recalls, transfers, preferential attention,
 * ratings and the end of the day on `ticket`; pause reasons and every status period of an advisor;
 * one row per visit of a ticket to an advisor; the per-queue call counter of the preferential
 * interleaving; four new templates, with their CHECK extended.
 */
export class Migration20261130100000_service_floor extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "advisor_status_period" ("id" bigserial primary key, "advisor_id" bigint not null, "status" varchar(20) not null, "reason" varchar(100) null, "started_at" timestamp not null, "ended_at" timestamp null, constraint advisor_status_period_status_check check (status = 'AVAILABLE' or status = 'CALLING' or status = 'SERVING' or status = 'PAUSED' or status = 'OFFLINE'));`);
    this.addSql(`create index "idx_advisor_status_period_advisor" on "advisor_status_period" ("advisor_id", "started_at");`);
    this.addSql(`create unique index "uq_advisor_status_period_open" on "advisor_status_period" ("advisor_id") where ended_at is null;`);

    this.addSql(`create table "queue_call_state" ("branch_office" varchar(100) not null, "queue_type" varchar(20) not null, "normal_calls" int not null default 0, "updated_at" timestamp not null default current_timestamp, constraint "queue_call_state_pkey" primary key ("branch_office", "queue_type"), constraint queue_call_state_queue_type_check check (queue_type = 'CAJA' or queue_type = 'PERSONAL_BANKER' or queue_type = 'EMPRESAS' or queue_type = 'GERENCIA'));`);

    this.addSql(`create table "ticket_visit" ("id" bigserial primary key, "ticket_id" bigint not null, "branch_office" varchar(100) not null, "queue_type" varchar(20) not null, "advisor_id" bigint not null, "called_at" timestamp not null, "service_started_at" timestamp null, "ended_at" timestamp null, "outcome" varchar(20) null, "service_minutes" int null, "out_of_order" boolean not null default false, constraint ticket_visit_outcome_check check (outcome = 'COMPLETADO' or outcome = 'NO_ATENDIDO' or outcome = 'TRANSFERIDO' or outcome = 'CANCELADO'), constraint ticket_visit_queue_type_check check (queue_type = 'CAJA' or queue_type = 'PERSONAL_BANKER' or queue_type = 'EMPRESAS' or queue_type = 'GERENCIA'), constraint ticket_visit_service_minutes_check check (service_minutes >= 0 and service_minutes <= 100000));`);
    this.addSql(`create index "idx_ticket_visit_ticket" on "ticket_visit" ("ticket_id");`);
    this.addSql(`create index "idx_ticket_visit_advisor" on "ticket_visit" ("advisor_id", "called_at");`);
    this.addSql(`create index "idx_ticket_visit_branch" on "ticket_visit" ("branch_office", "called_at");`);
    this.addSql(`create unique index "uq_ticket_visit_open" on "ticket_visit" ("ticket_id") where ended_at is null;`);
    this.addSql(`alter table "advisor_status_period" add constraint "advisor_status_period_advisor_id_foreign" foreign key ("advisor_id") references "advisor" ("id") on update no action on delete cascade;`);
    this.addSql(`alter table "ticket_visit" add constraint "ticket_visit_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
    this.addSql(`alter table "ticket_visit" add constraint "ticket_visit_advisor_id_foreign" foreign key ("advisor_id") references "advisor" ("id") on update no action on delete no action;`);

    this.addSql(`alter table "advisor" add column "pause_reason" varchar(100) null;`);

    this.addSql(`alter table "ticket" add column "service_started_at" timestamp null, add column "recall_count" int not null default 0, add column "last_called_at" timestamp null, add column "queued_at" timestamp null, add column "atencion_preferente" varchar(20) null, add column "reserved_advisor_id" bigint null, add column "end_reason" varchar(100) null, add column "rating" smallint null, add column "rated_at" timestamp null;`);
    // Tickets already called were called once, at assigned_at; everyone keeps their place by arrival.
    this.addSql(`update "ticket" set "queued_at" = "created_at", "last_called_at" = "assigned_at", "recall_count" = case when "assigned_at" is null then 0 else 1 end;`);
    this.addSql(`alter table "ticket" alter column "queued_at" set not null;`);
    // An insert that does not say where in line the ticket goes (every insert but a transfer) queues it by arrival.
    this.addSql(`create or replace function ticket_default_queued_at() returns trigger language plpgsql as $$ begin if new.queued_at is null then new.queued_at := new.created_at; end if; return new; end $$;`);
    this.addSql(`create trigger ticket_default_queued_at before insert on "ticket" for each row execute function ticket_default_queued_at();`);
    this.addSql(`alter table "ticket" add constraint "ticket_reserved_advisor_id_foreign" foreign key ("reserved_advisor_id") references "advisor" ("id") on update no action on delete set null;`);
    this.addSql(`drop index "idx_ticket_waiting";`);
    this.addSql(`create index "idx_ticket_waiting" on "ticket" ("branch_office", "queue_type", "queued_at", "id") where status in ('EN_ESPERA', 'PROXIMO') and reserved_advisor_id is null;`);
    this.addSql(`create index "idx_ticket_waiting_preferente" on "ticket" ("branch_office", "queue_type", "queued_at", "id") where status in ('EN_ESPERA', 'PROXIMO') and reserved_advisor_id is null and atencion_preferente is not null;`);
    this.addSql(`create index "idx_ticket_reserved_advisor" on "ticket" ("reserved_advisor_id", "queued_at", "id") where reserved_advisor_id is not null and status in ('EN_ESPERA', 'PROXIMO');`);
    this.addSql(`alter table "ticket" add constraint ticket_atencion_preferente_check check(atencion_preferente = 'TERCERA_EDAD' or atencion_preferente = 'EMBARAZO' or atencion_preferente = 'DISCAPACIDAD' or atencion_preferente = 'NINO_EN_BRAZOS');`);
    this.addSql(`alter table "ticket" add constraint ticket_rating_check check(rating >= 1 and rating <= 5);`);
    this.addSql(`alter table "ticket" add constraint ticket_recall_count_check check(recall_count >= 0);`);

    // Extended, not loosened: the same three templates plus the floor's four.
    this.addSql(`alter table "mensaje" add column "datos" json null;`);
    this.addSql(`alter table "mensaje" drop constraint mensaje_plantilla_check;`);
    this.addSql(`alter table "mensaje" add constraint mensaje_plantilla_check check(plantilla = 'TOTEM_TICKET_CREADO' or plantilla = 'TOTEM_PROXIMO_TURNO' or plantilla = 'TOTEM_ES_TU_TURNO' or plantilla = 'TOTEM_RELLAMADO' or plantilla = 'TOTEM_TRANSFERIDO' or plantilla = 'TOTEM_ENCUESTA' or plantilla = 'TOTEM_CIERRE_DIA');`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "mensaje" drop constraint mensaje_plantilla_check;`);
    this.addSql(`delete from "mensaje" where plantilla not in ('TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO');`);
    this.addSql(`alter table "mensaje" add constraint mensaje_plantilla_check check(plantilla = 'TOTEM_TICKET_CREADO' or plantilla = 'TOTEM_PROXIMO_TURNO' or plantilla = 'TOTEM_ES_TU_TURNO');`);
    this.addSql(`alter table "mensaje" drop column "datos";`);
    this.addSql(`drop trigger if exists ticket_default_queued_at on "ticket";`);
    this.addSql(`drop function if exists ticket_default_queued_at();`);
    this.addSql(`drop index "idx_ticket_waiting";`);
    this.addSql(`drop index "idx_ticket_waiting_preferente";`);
    this.addSql(`drop index "idx_ticket_reserved_advisor";`);
    this.addSql(`alter table "ticket" drop constraint ticket_atencion_preferente_check, drop constraint ticket_rating_check, drop constraint ticket_recall_count_check, drop constraint "ticket_reserved_advisor_id_foreign";`);
    this.addSql(`alter table "ticket" drop column "service_started_at", drop column "recall_count", drop column "last_called_at", drop column "queued_at", drop column "atencion_preferente", drop column "reserved_advisor_id", drop column "end_reason", drop column "rating", drop column "rated_at";`);
    this.addSql(`create index "idx_ticket_waiting" on "ticket" ("branch_office", "queue_type", "created_at", "id") where status in ('EN_ESPERA', 'PROXIMO');`);
    this.addSql(`alter table "advisor" drop column "pause_reason";`);
    this.addSql(`drop table if exists "ticket_visit" cascade;`);
    this.addSql(`drop table if exists "queue_call_state" cascade;`);
    this.addSql(`drop table if exists "advisor_status_period" cascade;`);
  }

}
