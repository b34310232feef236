import { Migration } from '@mikro-orm/migrations';

export class Migration20261129163826_telegram extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "bot_conversation" ("key" varchar(100) not null, "state" jsonb not null, "updated_at" timestamp not null default current_timestamp, constraint "bot_conversation_pkey" primary key ("key"));`);

    this.addSql(`create table "telegram_status_message" ("chat_id" bigint not null, "message_id" bigint not null, "ticket_id" bigint not null, "last_text" text not null, "updated_at" timestamp not null default current_timestamp, constraint "telegram_status_message_pkey" primary key ("chat_id"));`);
    this.addSql(`create index "idx_telegram_status_message_ticket" on "telegram_status_message" ("ticket_id");`);

    this.addSql(`create table "ticket_telegram_link" ("ticket_id" bigint not null, "chat_id" bigint not null, "created_at" timestamp not null default current_timestamp, constraint "ticket_telegram_link_pkey" primary key ("ticket_id"));`);
    this.addSql(`create index "idx_ticket_telegram_link_chat" on "ticket_telegram_link" ("chat_id");`);

    this.addSql(`alter table "telegram_status_message" add constraint "telegram_status_message_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "ticket_telegram_link" add constraint "ticket_telegram_link_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "bot_conversation" cascade;`);

    this.addSql(`drop table if exists "telegram_status_message" cascade;`);

    this.addSql(`drop table if exists "ticket_telegram_link" cascade;`);
  }

}
