import { Migration } from '@mikro-orm/migrations';

/**
 * Waiting-room screens follow changes, not clocks (SPEC §16): every change a screen shows sends
 * `pg_notify('ticketero_screens', branch_office)` inside the transaction that makes it, so it is
 * delivered on commit (and never for a rollback) to every instance that LISTENs. A trigger rather
 * than a call in each service, so no door (bot, kiosk, admin, jobs, and actions added later) can
 * forget it. PostgreSQL folds identical notifications of one transaction into one.
 *
 * What a screen shows: numbers called today with their module, and per queue the waiting count
 * and the estimate (from the advisors online). So the ticket trigger ignores what only the queue
 * job rewrites (position, estimate, updated_at, EN_ESPERA → PROXIMO); the advisor trigger fires
 * only when an advisor goes on or off line, changes queues or branch.
 */
export class Migration20261130130000_screen_notify extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function ticketero_notify_screens() returns trigger language plpgsql as $$
begin
  perform pg_notify('ticketero_screens', coalesce(new.branch_office, old.branch_office));
  return null;
end $$;`);
    this.addSql(`create trigger ticket_screens_insert_delete after insert or delete on ticket
  for each row execute function ticketero_notify_screens();`);
    this.addSql(`create trigger ticket_screens_update after update on ticket
  for each row when (
    (to_jsonb(old) - '{position_in_queue,estimated_wait_minutes,updated_at,status}'::text[])
      is distinct from (to_jsonb(new) - '{position_in_queue,estimated_wait_minutes,updated_at,status}'::text[])
    or (case when old.status = 'PROXIMO' then 'EN_ESPERA' else old.status end)
      is distinct from (case when new.status = 'PROXIMO' then 'EN_ESPERA' else new.status end)
  ) execute function ticketero_notify_screens();`);
    this.addSql(`create trigger advisor_screens_insert_delete after insert or delete on advisor
  for each row execute function ticketero_notify_screens();`);
    this.addSql(`create trigger advisor_screens_update after update on advisor
  for each row when (
    (old.status = 'OFFLINE') is distinct from (new.status = 'OFFLINE')
    or old.queue_types::text is distinct from new.queue_types::text
    or old.branch_office is distinct from new.branch_office
  ) execute function ticketero_notify_screens();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists advisor_screens_update on advisor;`);
    this.addSql(`drop trigger if exists advisor_screens_insert_delete on advisor;`);
    this.addSql(`drop trigger if exists ticket_screens_update on ticket;`);
    this.addSql(`drop trigger if exists ticket_screens_insert_delete on ticket;`);
    this.addSql(`drop function if exists ticketero_notify_screens();`);
  }

}
