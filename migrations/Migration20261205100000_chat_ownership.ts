import { Migration } from '@mikro-orm/migrations';

/**
 * Who a chat is (SPEC §22): a typed RUT is a claim, not a proof. A ticket now remembers the chat
 * that took it (`ticket.chat_id`), one chat holds one active ticket at most, a RUT may be registered
 * in several chats (nothing moves between them), and the RUTs a chat used are kept (blind index
 * only) so a chat can be held to MAX_RUTS_PER_CHAT in 30 days. A RUT the customer's identity
 * provider vouched for (OpenID Connect) is kept apart: only that one owns the RUT's tickets.
 */
export class Migration20261205100000_chat_ownership extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "ticket" add column "chat_id" bigint null;`);
    // Tickets taken in the bot before this migration: the audit row of their creation names the chat
    // (a private chat's id is its user's id). The newest active one per chat keeps the link.
    this.addSql(`update "ticket" t set "chat_id" = src.chat_id
      from (
        select distinct on (substring(a.actor from 10)) substring(a.actor from 10)::bigint as chat_id, tk.id as ticket_id
        from "audit_log" a join "ticket" tk on tk.id::text = a.entity_id
        where a.entity_type = 'TICKET' and a.event_type = 'TICKET_CREADO' and a.actor ~ '^telegram:[0-9]{1,18}$'
          and tk.status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')
        order by substring(a.actor from 10), tk.created_at desc
      ) src
      where t.id = src.ticket_id;`);
    this.addSql(`create unique index "uq_ticket_active_chat" on "ticket" ("chat_id") where chat_id is not null and status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO');`);
    this.addSql(`create index "idx_ticket_chat" on "ticket" ("chat_id", "created_at") where chat_id is not null;`);

    this.addSql(`alter table "telegram_customer" drop constraint "telegram_customer_national_id_bidx_unique";`);
    this.addSql(`create index "idx_telegram_customer_national_id_bidx" on "telegram_customer" ("national_id_bidx");`);

    this.addSql(`create table "telegram_chat_rut" ("chat_id" bigint not null, "national_id_bidx" bytea not null, "first_registered_at" timestamp not null default current_timestamp, "last_registered_at" timestamp not null default current_timestamp, constraint "telegram_chat_rut_pkey" primary key ("chat_id", "national_id_bidx"));`);
    this.addSql(`insert into "telegram_chat_rut" ("chat_id", "national_id_bidx", "first_registered_at", "last_registered_at")
      select "chat_id", "national_id_bidx", "updated_at", "updated_at" from "telegram_customer" where "national_id_bidx" is not null;`);

    this.addSql(`create table "telegram_verified_rut" ("chat_id" bigint not null, "national_id_bidx" bytea not null, "masked_rut" varchar(20) not null, "issuer" varchar(255) not null, "verified_at" timestamp not null default current_timestamp, constraint "telegram_verified_rut_pkey" primary key ("chat_id"));`);
    this.addSql(`create index "idx_telegram_verified_rut_bidx" on "telegram_verified_rut" ("national_id_bidx");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "telegram_verified_rut" cascade;`);
    this.addSql(`drop table if exists "telegram_chat_rut" cascade;`);
    this.addSql(`drop index "idx_telegram_customer_national_id_bidx";`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_national_id_bidx_unique" unique ("national_id_bidx");`);
    this.addSql(`drop index "idx_ticket_chat";`);
    this.addSql(`drop index "uq_ticket_active_chat";`);
    this.addSql(`alter table "ticket" drop column "chat_id";`);
  }

}
