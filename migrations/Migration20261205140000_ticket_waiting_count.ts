import { Migration } from '@mikro-orm/migrations';

/**
 * How many wait in each queue of each branch, kept by the database as tickets come and go (issue 21).
 * A newcomer's promise (the kiosk, the bot) and every screen snapshot need the waiting count per
 * queue; counting it from the waiting lines' partial indexes cost a visit to every waiting ticket's
 * heap row (4,000 in a long line: 7 ms a ticket, growing with the line). One row per branch and
 * queue, kept by a row trigger that fires only when a ticket enters or leaves the waiting states
 * (or changes branch or queue) — not for the queue job's rewrites of positions and estimates. A
 * ticket's transaction already holds its (branch, queue, day) numbering row, so the kiosk's tickets
 * of one queue were serialised before and take this row in the same order; calls and cancellations
 * take it for the few microseconds left of their transaction.
 *
 * Derived data: not in backups (a restore's inserted tickets count themselves); the counts are
 * filled here from the tickets already waiting, under a lock that keeps them exact.
 */
export class Migration20261205140000_ticket_waiting_count extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ticket_waiting_count" (
      "branch_office" varchar(100) not null,
      "queue_type" varchar(20) not null,
      "waiting" int not null default 0,
      constraint ticket_waiting_count_pkey primary key ("branch_office", "queue_type"),
      constraint ticket_waiting_count_waiting_check check (waiting >= 0));`);
    this.addSql(`create or replace function ticketero_count_waiting() returns trigger language plpgsql as $$
declare
  was boolean := tg_op <> 'INSERT' and old.status in ('EN_ESPERA', 'PROXIMO');
  is_now boolean := tg_op <> 'DELETE' and new.status in ('EN_ESPERA', 'PROXIMO');
begin
  if was and is_now and old.branch_office = new.branch_office and old.queue_type = new.queue_type then
    return null;
  end if;
  if was then
    update ticket_waiting_count set waiting = waiting - 1
    where branch_office = old.branch_office and queue_type = old.queue_type;
  end if;
  if is_now then
    insert into ticket_waiting_count as c (branch_office, queue_type, waiting) values (new.branch_office, new.queue_type, 1)
    on conflict (branch_office, queue_type) do update set waiting = c.waiting + 1;
  end if;
  return null;
end $$;`);
    this.addSql(`lock table ticket in share row exclusive mode;`);
    this.addSql(`insert into ticket_waiting_count (branch_office, queue_type, waiting)
      select branch_office, queue_type, count(*)::int from ticket where status in ('EN_ESPERA', 'PROXIMO') group by 1, 2;`);
    this.addSql(`create trigger ticket_waiting_count_insert_delete after insert or delete on ticket
      for each row execute function ticketero_count_waiting();`);
    this.addSql(`create trigger ticket_waiting_count_update after update on ticket
      for each row when (
        (old.status in ('EN_ESPERA', 'PROXIMO')) is distinct from (new.status in ('EN_ESPERA', 'PROXIMO'))
        or old.branch_office is distinct from new.branch_office
        or old.queue_type is distinct from new.queue_type
      ) execute function ticketero_count_waiting();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists ticket_waiting_count_update on ticket;`);
    this.addSql(`drop trigger if exists ticket_waiting_count_insert_delete on ticket;`);
    this.addSql(`drop function if exists ticketero_count_waiting();`);
    this.addSql(`drop table if exists "ticket_waiting_count";`);
  }

}
