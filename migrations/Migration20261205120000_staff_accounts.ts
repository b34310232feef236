import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §18: people sign in as themselves. Accounts with their role, a SUPERVISOR's branch grants,
 * sessions (only the token's SHA-256), integration tokens (also the first run's kiosk credential)
 * and rate-limiter-flexible's table for sign-in lockout and per-IP limits.
 */
export class Migration20261205120000_staff_accounts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_token" ("id" bigserial primary key, "name" varchar(100) not null, "role" varchar(20) not null, "branches" jsonb not null, "token_hash" varchar(64) not null, "token_prefix" varchar(20) not null, "created_by" varchar(100) null, "created_at" timestamp not null default current_timestamp, "expires_at" timestamp null, "revoked_at" timestamp null, "last_used_at" timestamp null, constraint api_token_role_check check (role = 'ADMIN' or role = 'SUPERVISOR' or role = 'AUDITOR' or role = 'KIOSK'));`);
    this.addSql(`alter table "api_token" add constraint "api_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create table "auth_rate_limit" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, constraint "auth_rate_limit_pkey" primary key ("key"));`);
    this.addSql(`create table "staff_account" ("id" bigserial primary key, "email" varchar(254) not null, "name" varchar(200) not null, "role" varchar(20) not null, "advisor_id" bigint null, "password_hash" varchar(255) null, "must_change_password" boolean not null default false, "totp_secret" text null, "totp_enabled" boolean not null default false, "active" boolean not null default true, "last_sign_in_at" timestamp null, "password_changed_at" timestamp null, "created_at" timestamp not null default current_timestamp, "updated_at" timestamp not null default current_timestamp, constraint staff_account_role_check check (role = 'ADMIN' or role = 'SUPERVISOR' or role = 'ASESOR' or role = 'AUDITOR'), constraint staff_account_email_lower_check check (email = lower(email)));`);
    this.addSql(`alter table "staff_account" add constraint "staff_account_email_unique" unique ("email");`);
    this.addSql(`create table "staff_branch_grant" ("id" bigserial primary key, "account_id" bigint not null, "branch_office" varchar(100) not null, "created_at" timestamp not null default current_timestamp);`);
    this.addSql(`alter table "staff_branch_grant" add constraint "uq_staff_branch_grant" unique ("account_id", "branch_office");`);
    this.addSql(`create table "staff_session" ("id" bigserial primary key, "token_hash" varchar(64) not null, "account_id" bigint not null, "totp_verified" boolean not null default false, "created_at" timestamp not null default current_timestamp, "last_seen_at" timestamp not null, "expires_at" timestamp not null, "revoked_at" timestamp null, "ip_address" varchar(45) null, "user_agent" varchar(500) null);`);
    this.addSql(`alter table "staff_session" add constraint "staff_session_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "idx_staff_session_account" on "staff_session" ("account_id");`);
    this.addSql(`alter table "staff_account" add constraint "staff_account_advisor_id_foreign" foreign key ("advisor_id") references "advisor" ("id") on update no action on delete set null;`);
    this.addSql(`alter table "staff_branch_grant" add constraint "staff_branch_grant_account_id_foreign" foreign key ("account_id") references "staff_account" ("id") on update no action on delete cascade;`);
    this.addSql(`alter table "staff_session" add constraint "staff_session_account_id_foreign" foreign key ("account_id") references "staff_account" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "staff_session" cascade;`);
    this.addSql(`drop table if exists "staff_branch_grant" cascade;`);
    this.addSql(`drop table if exists "staff_account" cascade;`);
    this.addSql(`drop table if exists "api_token" cascade;`);
    this.addSql(`drop table if exists "auth_rate_limit" cascade;`);
  }

}
