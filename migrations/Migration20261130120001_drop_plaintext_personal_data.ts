import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §14, step 2 of 2: no plaintext RUT or phone column remains. The app's data step encrypts
 * the plaintext rows between step 1 and this one (it needs the keys, which migrations do not
 * have); should anything still be in clear — migrations run by hand without the app — this one
 * refuses rather than destroy it.
 */
export class Migration20261130120001_drop_plaintext_personal_data extends Migration {

  override async up(): Promise<void> {
    this.addSql(`do $$ begin
      if exists (select 1 from "ticket" where "national_id" is not null or "telefono" is not null)
         or exists (select 1 from "telegram_customer" where "national_id" is not null or "phone" is not null) then
        raise exception 'quedan RUT o teléfonos sin cifrar: ejecute npm run migrate (con las claves) antes de esta migración';
      end if;
    end $$;`);
    this.addSql(`drop index "idx_telegram_customer_phone";`);
    this.addSql(`alter table "telegram_customer" drop constraint "telegram_customer_national_id_unique";`);
    this.addSql(`alter table "telegram_customer" drop column "national_id", drop column "phone";`);
    this.addSql(`drop index "idx_ticket_national_id";`);
    this.addSql(`drop index "uq_ticket_active_national_id";`);
    this.addSql(`alter table "ticket" drop column "national_id", drop column "telefono";`);
  }

  override async down(): Promise<void> {
    // The plaintext cannot come back from a migration: the columns return empty.
    this.addSql(`alter table "ticket" add column "national_id" varchar(20) null, add column "telefono" varchar(20) null;`);
    this.addSql(`create index "idx_ticket_national_id" on "ticket" ("national_id");`);
    this.addSql(`alter table "telegram_customer" add column "national_id" varchar(20) null, add column "phone" varchar(20) null;`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_national_id_unique" unique ("national_id");`);
    this.addSql(`create index "idx_telegram_customer_phone" on "telegram_customer" ("phone");`);
  }

}
