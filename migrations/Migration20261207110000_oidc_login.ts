import { Migration } from '@mikro-orm/migrations';

/**
 * OpenID Connect sign-in (SPEC §18 staff single sign-on, SPEC §22 a customer's verified RUT): one
 * row per sign-in under way — SHA-256 of the state and of the browser's binding cookie, the PKCE
 * verifier and the nonce — spent once when the identity provider sends the browser back.
 */
export class Migration20261207110000_oidc_login extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "oidc_login" ("id" bigserial primary key, "purpose" varchar(10) not null, "state_hash" varchar(64) not null, "browser_hash" varchar(64) not null, "code_verifier" varchar(128) not null, "nonce" varchar(128) not null, "redirect_uri" varchar(2000) not null, "return_to" varchar(200) null, "chat_id" bigint null, "created_at" timestamp not null, "expires_at" timestamp not null, "used_at" timestamp null, constraint oidc_login_purpose_check check (purpose = 'STAFF' or purpose = 'CUSTOMER'));`);
    this.addSql(`alter table "oidc_login" add constraint "oidc_login_state_hash_unique" unique ("state_hash");`);
    this.addSql(`create index "idx_oidc_login_expires_at" on "oidc_login" ("expires_at");`);
    // How a session signed in: a password, or the identity provider (whose sessions change no password).
    this.addSql(`alter table "staff_session" add column "sign_in_method" varchar(10) not null default 'CLAVE';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "staff_session" drop column "sign_in_method";`);
    this.addSql(`drop table if exists "oidc_login" cascade;`);
  }

}
