import { Migration } from '@mikro-orm/migrations';

/**
 * The kiosk path's numbering in one call (issue 21): `ticket_take_number(branch, queue, now)` takes
 * the next number of the branch's service day (its own time zone, SPEC §17) by upserting the
 * `ticket_daily_counter` row — whose lock serialises numbering per branch, day and queue until the
 * ticket's transaction ends — and returns with it:
 *
 * - `taken_at`: the ticket's created_at, never before the queue's previous ticket's (the row keeps
 *   the latest instant: `greatest(excluded, old)`), so arrival order within a queue follows the
 *   numbers even when two instances' clocks differ by a few milliseconds;
 * - `waiting`: how many wait in the queue for anyone (the waiting-count table, minus tickets reserved
 *   for one advisor), read by a statement of its own AFTER the lock is granted: a VOLATILE function's
 *   statements each take a fresh snapshot, so the count includes the ticket whose commit released
 *   the lock, which the calling statement's snapshot (taken before the wait) does not.
 *
 * No row when the branch does not exist. `#variable_conflict use_column`: the output columns share
 * their names with the counter's and the count table's columns.
 */
export class Migration20261207130000_ticket_take_number extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function ticket_take_number(p_branch text, p_queue text, p_now timestamp)
  returns table (last_number int, service_date date, taken_at timestamp, waiting int)
  language plpgsql volatile as $$
#variable_conflict use_column
begin
  insert into ticket_daily_counter as c (branch_office, service_date, queue_type, last_number, updated_at)
    select b.name, branch_local_date(b.timezone, p_now), p_queue, 1, p_now from branch b where b.name = p_branch
  on conflict (branch_office, service_date, queue_type)
  do update set last_number = c.last_number + 1, updated_at = greatest(excluded.updated_at, c.updated_at)
  returning c.last_number, c.service_date, c.updated_at into last_number, service_date, taken_at;
  if not found then
    return;
  end if;
  select coalesce((select w.waiting from ticket_waiting_count w where w.branch_office = p_branch and w.queue_type = p_queue), 0)
       - (select count(*)::int from ticket t
           where t.reserved_advisor_id is not null and t.status in ('EN_ESPERA', 'PROXIMO')
             and t.branch_office = p_branch and t.queue_type = p_queue)
    into waiting;
  return next;
end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists ticket_take_number(text, text, timestamp);`);
  }

}
