import { Migration } from '@mikro-orm/migrations';

export class Migration20261129160749_initial_schema extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "advisor" ("id" bigserial primary key, "name" varchar(100) not null, "email" varchar(100) not null, "status" varchar(20) not null, "module_number" int not null, "assigned_tickets_count" int not null default 0, "workload_minutes" int not null default 0, "average_service_time_minutes" numeric(5,2) null default 0, "total_tickets_served_today" int not null default 0, "last_assigned_at" timestamp null, "queue_types" json not null, "branch_office" varchar(100) not null default 'Sucursal Centro', "telegram_user_id" bigint null, "created_at" timestamp not null default current_timestamp, "updated_at" timestamp not null default current_timestamp, constraint advisor_status_check check (status = 'AVAILABLE' or status = 'BUSY' or status = 'OFFLINE'), constraint advisor_module_number_check check (module_number >= 1 and module_number <= 5));`);
    this.addSql(`alter table "advisor" add constraint "advisor_email_unique" unique ("email");`);
    this.addSql(`create index "idx_advisor_status" on "advisor" ("status");`);
    this.addSql(`create index "idx_advisor_module" on "advisor" ("module_number");`);
    this.addSql(`create index "idx_advisor_workload" on "advisor" ("workload_minutes");`);
    this.addSql(`create index "idx_advisor_last_assigned" on "advisor" ("last_assigned_at");`);
    this.addSql(`alter table "advisor" add constraint "advisor_telegram_user_id_unique" unique ("telegram_user_id");`);

    this.addSql(`create table "audit_log" ("id" bigserial primary key, "entity_type" varchar(50) not null, "entity_id" varchar(50) not null, "event_type" varchar(50) not null, "actor" varchar(100) null, "old_state" json null, "new_state" json null, "additional_data" json null, "ip_address" varchar(45) null, "user_agent" varchar(500) null, "created_at" timestamp not null default current_timestamp);`);
    this.addSql(`create index "idx_audit_entity" on "audit_log" ("entity_type", "entity_id");`);
    this.addSql(`create index "idx_audit_event_type" on "audit_log" ("event_type");`);
    this.addSql(`create index "idx_audit_created_at" on "audit_log" ("created_at" desc);`);
    this.addSql(`create index "idx_audit_actor" on "audit_log" ("actor");`);

    this.addSql(`create table "audit_log_archive" ("id" bigint not null, "entity_type" varchar(50) not null, "entity_id" varchar(50) not null, "event_type" varchar(50) not null, "actor" varchar(100) null, "old_state" json null, "new_state" json null, "additional_data" json null, "ip_address" varchar(45) null, "user_agent" varchar(500) null, "created_at" timestamp not null default current_timestamp, constraint "audit_log_archive_pkey" primary key ("id"));`);
    this.addSql(`create index "idx_audit_archive_entity" on "audit_log_archive" ("entity_type", "entity_id");`);
    this.addSql(`create index "idx_audit_archive_created_at" on "audit_log_archive" ("created_at");`);

    this.addSql(`create table "telegram_customer" ("id" bigserial primary key, "chat_id" bigint not null, "national_id" varchar(20) null, "phone" varchar(20) null, "name" varchar(100) null, "created_at" timestamp not null default current_timestamp, "updated_at" timestamp not null default current_timestamp);`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_chat_id_unique" unique ("chat_id");`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_national_id_unique" unique ("national_id");`);
    this.addSql(`create index "idx_telegram_customer_phone" on "telegram_customer" ("phone");`);

    this.addSql(`create table "ticket" ("id" bigserial primary key, "codigo_referencia" uuid not null, "numero" varchar(10) not null, "national_id" varchar(20) not null, "telefono" varchar(20) null, "branch_office" varchar(100) not null, "queue_type" varchar(20) not null, "status" varchar(20) not null, "position_in_queue" int not null, "estimated_wait_minutes" int not null, "assigned_advisor_id" bigint null, "assigned_module_number" int null, "assigned_at" timestamp null, "completed_at" timestamp null, "actual_service_time_minutes" int null, "service_date" date not null, "created_at" timestamp not null default current_timestamp, "updated_at" timestamp not null default current_timestamp, constraint ticket_queue_type_check check (queue_type = 'CAJA' or queue_type = 'PERSONAL_BANKER' or queue_type = 'EMPRESAS' or queue_type = 'GERENCIA'), constraint ticket_status_check check (status = 'EN_ESPERA' or status = 'PROXIMO' or status = 'ATENDIENDO' or status = 'COMPLETADO' or status = 'CANCELADO' or status = 'NO_ATENDIDO'), constraint ticket_assigned_module_number_check check (assigned_module_number >= 1 and assigned_module_number <= 5));`);
    this.addSql(`alter table "ticket" add constraint "ticket_codigo_referencia_unique" unique ("codigo_referencia");`);
    this.addSql(`create index "idx_ticket_national_id" on "ticket" ("national_id");`);
    this.addSql(`create index "idx_ticket_queue_type" on "ticket" ("queue_type");`);
    this.addSql(`create index "idx_ticket_status" on "ticket" ("status");`);
    this.addSql(`create index "idx_ticket_position" on "ticket" ("position_in_queue");`);
    this.addSql(`create index "idx_ticket_assigned_advisor" on "ticket" ("assigned_advisor_id");`);
    this.addSql(`create index "idx_ticket_created_at" on "ticket" ("created_at" desc);`);
    this.addSql(`create index "idx_ticket_queue_status" on "ticket" ("queue_type", "status");`);
    this.addSql(`create index "idx_ticket_waiting" on "ticket" ("branch_office", "queue_type", "created_at", "id") where status in ('EN_ESPERA', 'PROXIMO');`);
    this.addSql(`alter table "ticket" add constraint "uq_ticket_branch_day_numero" unique ("branch_office", "service_date", "numero");`);
    this.addSql(`create unique index "uq_ticket_active_national_id" on "ticket" ("national_id") where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO');`);

    this.addSql(`create table "mensaje" ("id" bigserial primary key, "ticket_id" bigint not null, "plantilla" varchar(50) not null, "estado_envio" varchar(20) not null, "fecha_programada" timestamp not null, "fecha_envio" timestamp null, "telegram_message_id" varchar(50) null, "intentos" int not null default 0, "error_message" text null, "created_at" timestamp not null default current_timestamp, constraint mensaje_plantilla_check check (plantilla = 'TOTEM_TICKET_CREADO' or plantilla = 'TOTEM_PROXIMO_TURNO' or plantilla = 'TOTEM_ES_TU_TURNO'), constraint mensaje_estado_envio_check check (estado_envio = 'PENDIENTE' or estado_envio = 'ENVIADO' or estado_envio = 'FALLIDO'));`);
    this.addSql(`create index "idx_mensaje_ticket_id" on "mensaje" ("ticket_id");`);
    this.addSql(`create index "idx_mensaje_plantilla" on "mensaje" ("plantilla");`);
    this.addSql(`create index "idx_mensaje_intentos" on "mensaje" ("intentos");`);
    this.addSql(`create index "idx_mensaje_estado_fecha" on "mensaje" ("estado_envio", "fecha_programada");`);

    this.addSql(`create table "ticket_daily_counter" ("branch_office" varchar(100) not null, "service_date" date not null, "queue_type" varchar(20) not null, "last_number" int not null default 0, "updated_at" timestamp not null default current_timestamp, constraint "ticket_daily_counter_pkey" primary key ("branch_office", "service_date", "queue_type"), constraint ticket_daily_counter_queue_type_check check (queue_type = 'CAJA' or queue_type = 'PERSONAL_BANKER' or queue_type = 'EMPRESAS' or queue_type = 'GERENCIA'));`);

    this.addSql(`alter table "ticket" add constraint "ticket_assigned_advisor_id_foreign" foreign key ("assigned_advisor_id") references "advisor" ("id") on update no action on delete no action;`);

    this.addSql(`alter table "mensaje" add constraint "mensaje_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

}
