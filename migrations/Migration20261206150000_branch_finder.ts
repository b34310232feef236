import { Migration } from '@mikro-orm/migrations';

/**
 * The bot's branch finder at 1,000 branches (SPEC §17).
 *
 * - `ticketero_fold(text)`: lower case without accents ("Ñuñoa" → "nunoa"), by PostgreSQL's
 *   `unaccent` (a trusted extension: the database's owner may create it). `unaccent()` is only
 *   STABLE (its dictionary could change), so it is wrapped in an IMMUTABLE function naming the
 *   dictionary by schema, which an index may use; the dictionary shipped with PostgreSQL does not
 *   change under a running database.
 * - `idx_branch_search`: a trigram GIN index (`pg_trgm`, also trusted) over the folded name and
 *   comuna, so `ticketero_fold(name || ' ' || comuna) like '%nunoa%'` is an index scan however many
 *   branches there are.
 * - `telegram_customer.last_branch_id`: the branch the chat last took a number in, offered first;
 *   a real foreign key to `branch(id)` (a rename changes nothing; branches are deactivated, and
 *   a deleted one just stops being offered). `branch_search_at`: when the chat was last asked
 *   which branch, so the text it types next is read as a search (and not as "No entendí").
 */
export class Migration20261206150000_branch_finder extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create extension if not exists unaccent;`);
    this.addSql(`create extension if not exists pg_trgm;`);
    // Named by the schema the extension lives in, whatever the search_path of the caller.
    this.addSql(`do $$
declare
  s text := (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent');
begin
  execute format('create or replace function ticketero_fold(value text) returns text language sql immutable parallel safe strict as '
    || '$b$ select lower(%I.unaccent(%L::regdictionary, value)) $b$', s, s || '.unaccent');
end $$;`);
    this.addSql(`create index "idx_branch_search" on "branch" using gin (ticketero_fold(name || ' ' || coalesce(comuna, '')) gin_trgm_ops);`);
    this.addSql(`alter table "telegram_customer" add column "last_branch_id" bigint null, add column "branch_search_at" timestamp null;`);
    this.addSql(`alter table "telegram_customer" add constraint "telegram_customer_last_branch_id_foreign" foreign key ("last_branch_id") references "branch" ("id") on update no action on delete set null;`);
    this.addSql(`create index "idx_telegram_customer_last_branch_id" on "telegram_customer" ("last_branch_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "idx_telegram_customer_last_branch_id";`);
    this.addSql(`alter table "telegram_customer" drop constraint if exists "telegram_customer_last_branch_id_foreign";`);
    this.addSql(`alter table "telegram_customer" drop column if exists "last_branch_id", drop column if exists "branch_search_at";`);
    this.addSql(`drop index if exists "idx_branch_search";`);
    this.addSql(`drop function if exists ticketero_fold(text);`);
  }

}
