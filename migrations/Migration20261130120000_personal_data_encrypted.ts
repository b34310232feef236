import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §14, step 1 of 2: the encrypted columns and blind indexes beside the plaintext ones, and the
 * key register. Additive only (new nullable columns, new indexes), so the plaintext rows stay
 * readable until the app's data step (src/modules/privacy/plaintext-migration.ts), which runs
 * with the keys in batches, has moved them; step 2 then drops the plaintext columns.
 */
export class Migration20261130120000_personal_data_encrypted extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "personal_data_key" ("key_id" varchar(40) not null, "purpose" varchar(20) not null, "check_value" text not null, "created_at" timestamp not null default current_timestamp, constraint "personal_data_key_pkey" primary key ("key_id"), constraint personal_data_key_purpose_check check (purpose = 'CIFRADO' or purpose = 'INDICE_CIEGO'));`);

    this.addSql(`alter table "telegram_customer" add column "national_id_enc" text null, add column "national_id_bidx" bytea null, add column "phone_enc" text null, add column "phone_bidx" bytea null;`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_national_id_bidx_unique" unique ("national_id_bidx");`);
    this.addSql(`create index "idx_telegram_customer_phone_bidx" on "telegram_customer" ("phone_bidx");`);

    this.addSql(`alter table "ticket" add column "national_id_enc" text null, add column "national_id_bidx" bytea null, add column "telefono_enc" text null, add column "telefono_bidx" bytea null;`);
    this.addSql(`alter table "ticket" alter column "national_id" drop not null;`);
    this.addSql(`create index "idx_ticket_national_id_bidx" on "ticket" ("national_id_bidx");`);
    this.addSql(`create index "idx_ticket_telefono_bidx" on "ticket" ("telefono_bidx") where telefono_bidx is not null;`);
    this.addSql(`create unique index "uq_ticket_active_national_id_bidx" on "ticket" ("national_id_bidx") where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "uq_ticket_active_national_id_bidx";`);
    this.addSql(`drop index "idx_ticket_telefono_bidx";`);
    this.addSql(`drop index "idx_ticket_national_id_bidx";`);
    this.addSql(`alter table "ticket" drop column "national_id_enc", drop column "national_id_bidx", drop column "telefono_enc", drop column "telefono_bidx";`);
    this.addSql(`drop index "idx_telegram_customer_phone_bidx";`);
    this.addSql(`alter table "telegram_customer" drop column "national_id_enc", drop column "national_id_bidx", drop column "phone_enc", drop column "phone_bidx";`);
    this.addSql(`drop table "personal_data_key";`);
  }

}
