import type { Db, Queryable } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import type { DomainEvents, EventBus } from '../../events.js';
import type { Origin } from '../audit/audit.service.js';
import { ASSIGN_LOCK_SQL, callTicket, type CalledAdvisor, type CalledTicket } from '../floor/floor-steps.js';
import { WAITING, queuePrioritySql } from '../tickets/queue.sql.js';

/** Who was called to which module: the payload of the `ticket.assigned` event. */
export type Assignment = DomainEvents['ticket.assigned'];

const SYSTEM: Origin = { actor: 'SYSTEM' };

interface LockedTicket extends CalledTicket {
  /** Preferential attention: the call resets the queue's counter of normal calls. */
  pref: boolean;
}

/** The queue types the free advisors of a branch serve; `?` binds the branch. */
const FREE_QUEUES = `select distinct q.queue_type from advisor a
  cross join lateral json_array_elements_text(a.queue_types) as q(queue_type)
  where a.branch_office = ? and a.status = 'AVAILABLE'`;

/** `advisor a` serves the queue of `ticket t`. */
const SERVES = `a.queue_types::jsonb @> to_jsonb(t.queue_type::text)`;

/**
 * Gives waiting customers to free advisors (SPEC §4): the next ticket by queue priority then
 * arrival; the free advisor of that branch who serves it with the least workload, then the one
 * assigned longest ago. Assignments in a branch are serialised by a transaction-scoped advisory
 * lock, and the rows are locked and re-checked, so no ticket goes to two advisors and no advisor
 * gets two tickets, across any number of app instances.
 */
export class AssignmentService {
  /** Branches with a pass running in this process, and those asked again meanwhile. */
  private readonly running = new Set<string>();
  private readonly askedAgain = new Set<string>();
  /** The passes in flight, so a caller (shutdown, a test) can wait for them to end. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: { db: Db; clock: Clock; events: EventBus; preferentialEvery: number }) {}

  /**
   * Offers a branch's waiting customers to its free advisors soon, without waiting for it: a
   * burst of new tickets in one branch makes one pass (and one more after it), not one each.
   * Only a shortcut: the database settles every race and the queue job sweeps whatever is left.
   */
  requestAssignment(branchOffice: string, onError: (error: unknown) => void): void {
    if (this.running.has(branchOffice)) {
      this.askedAgain.add(branchOffice);
      return;
    }
    this.running.add(branchOffice);
    const pass = (async () => {
      try {
        do {
          this.askedAgain.delete(branchOffice);
          await this.assignAvailable(branchOffice);
        } while (this.askedAgain.has(branchOffice));
      } catch (error) {
        onError(error);
      } finally {
        this.running.delete(branchOffice);
      }
    })();
    this.inFlight.add(pass);
    void pass.finally(() => this.inFlight.delete(pass));
  }

  /** Resolves once every immediate assignment pass started so far has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Assigns until no free advisor can serve anyone waiting in the branch. */
  async assignAvailable(branchOffice: string): Promise<Assignment[]> {
    const done: Assignment[] = [];
    while (await this.hasWork(branchOffice)) {
      const assignment = await this.assignNext(branchOffice);
      if (!assignment) break;
      done.push(assignment);
    }
    return done;
  }

  /**
   * A cheap unlocked look before taking the branch's lock: most calls (a busy branch) have
   * nothing to do. It starts from the few free advisors, so its cost does not grow with the line.
   */
  private async hasWork(branchOffice: string): Promise<boolean> {
    const [pending] = await this.deps.db.execute<{ pending: boolean }[]>(
      `select exists (
         select 1 from (${FREE_QUEUES}) f
         where exists (select 1 from ticket t where t.branch_office = ? and t.queue_type = f.queue_type
                         and t.status in ${WAITING} and t.reserved_advisor_id is null))
       or exists (
         select 1 from advisor a where a.branch_office = ? and a.status = 'AVAILABLE'
           and exists (select 1 from ticket t where t.reserved_advisor_id = a.id and t.status in ${WAITING})) as pending`,
      [branchOffice, branchOffice, branchOffice],
    );
    return pending?.pending === true;
  }

  /** Every branch where someone waits and an advisor is free: the queue job's sweep. */
  async assignAllBranches(): Promise<Assignment[]> {
    const branches = await this.deps.db.execute<{ branch_office: string }[]>(
      `select distinct t.branch_office from ticket t
       where t.status in ${WAITING}
         and exists (select 1 from advisor a where a.branch_office = t.branch_office
                       and a.status = 'AVAILABLE' and (${SERVES} or a.id = t.reserved_advisor_id))`,
    );
    const all: Assignment[] = [];
    for (const { branch_office } of branches) all.push(...(await this.assignAvailable(branch_office)));
    return all;
  }

  async assignNext(branchOffice: string): Promise<Assignment | null> {
    const assignment = await this.deps.db.transactional(async (tx) => {
      await tx.execute(ASSIGN_LOCK_SQL, [branchOffice]);
      const now = this.deps.clock.now();

      // A customer transferred to one named advisor goes to that advisor first, when free.
      const reserved = await this.lockReservedTicket(tx, branchOffice);
      const picked = reserved ?? (await this.lockNextTicket(tx, branchOffice));
      if (!picked) return null;
      const { ticket } = picked;

      const [advisor] = await tx.execute<(CalledAdvisor & { email: string })[]>(
        reserved
          ? `select a.id, a.name, a.email, a.module_number, a.assigned_tickets_count, a.status from advisor a
             where a.id = ? and a.status = 'AVAILABLE' for update`
          : `select a.id, a.name, a.email, a.module_number, a.assigned_tickets_count, a.status from advisor a
             where a.branch_office = ? and a.status = 'AVAILABLE' and a.queue_types::jsonb @> to_jsonb(?::text)
             order by a.workload_minutes, a.last_assigned_at nulls first, a.id
             limit 1
             for update`,
        reserved ? [reserved.advisorId] : [branchOffice, ticket.queue_type],
      );
      // Re-checked under the lock: an advisor who went away meanwhile is simply not returned.
      if (!advisor) return null;

      if (!reserved) {
        // The preferential interleaving's memory (SPEC §12), kept in the database under this lock.
        await tx.execute(
          `insert into queue_call_state (branch_office, queue_type, normal_calls, updated_at) values (?, ?, ?, ?)
           on conflict (branch_office, queue_type)
           do update set normal_calls = case when ? then 0 else queue_call_state.normal_calls + 1 end, updated_at = excluded.updated_at`,
          [branchOffice, ticket.queue_type, ticket.pref ? 0 : 1, now, ticket.pref],
        );
      }
      const { createdAt } = await callTicket(tx, { ticket, advisor, branchOffice, now, origin: SYSTEM });
      return {
        ticketId: Number(ticket.id),
        numero: ticket.numero,
        queueType: ticket.queue_type,
        branchOffice,
        advisorId: Number(advisor.id),
        advisorName: advisor.name,
        moduleNumber: advisor.module_number,
        waitedSeconds: createdAt ? Math.max(0, (now.getTime() - Date.parse(`${createdAt.replace(' ', 'T')}Z`)) / 1000) : undefined,
      } satisfies Assignment;
    });
    if (assignment) this.deps.events.emit('ticket.assigned', assignment);
    return assignment;
  }

  /** The oldest ticket waiting for a free advisor of the branch by name (a transfer), locked. */
  private async lockReservedTicket(
    tx: Queryable,
    branchOffice: string,
  ): Promise<{ ticket: LockedTicket; advisorId: string } | null> {
    const [candidate] = await tx.execute<{ id: string; advisor_id: string }[]>(
      `select t.id, a.id as advisor_id from advisor a
       cross join lateral (
         select w.id, w.queued_at from ticket w
         where w.reserved_advisor_id = a.id and w.status in ${WAITING}
         order by w.queued_at, w.id limit 1) t
       where a.branch_office = ? and a.status = 'AVAILABLE'
       order by t.queued_at, t.id limit 1`,
      [branchOffice],
    );
    if (!candidate) return null;
    const [ticket] = await tx.execute<LockedTicket[]>(
      `select id, numero, queue_type, status, position_in_queue, false as pref from ticket
       where id = ? and status in ${WAITING} and reserved_advisor_id = ? for update`,
      [candidate.id, candidate.advisor_id],
    );
    return ticket ? { ticket, advisorId: candidate.advisor_id } : null;
  }

  /**
   * The next ticket of each queue a free advisor serves, by the call rule of SPEC §12 (the oldest,
   * or the oldest preferential one when its turn has come — two index probes per queue), the
   * highest priority among them, locked and re-checked; if it changed meanwhile (cancelled), again.
   */
  private async lockNextTicket(tx: Queryable, branchOffice: string): Promise<{ ticket: LockedTicket } | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [candidate] = await tx.execute<{ id: string }[]>(
        `select pick.id from (${FREE_QUEUES}) f
         cross join lateral (
           select w.id, w.queued_at from ticket w
           where w.branch_office = ? and w.queue_type = f.queue_type and w.status in ${WAITING} and w.reserved_advisor_id is null
           order by w.queued_at, w.id limit 1) h
         left join lateral (
           select w.id, w.queued_at from ticket w
           where w.branch_office = ? and w.queue_type = f.queue_type and w.status in ${WAITING}
             and w.atencion_preferente is not null and w.reserved_advisor_id is null
           order by w.queued_at, w.id limit 1) p on true
         left join queue_call_state s on s.branch_office = ? and s.queue_type = f.queue_type
         cross join lateral (
           select case when p.id is not null and (p.id = h.id or coalesce(s.normal_calls, 0) >= ?) then p.id else h.id end as id,
                  case when p.id is not null and (p.id = h.id or coalesce(s.normal_calls, 0) >= ?) then p.queued_at else h.queued_at end as queued_at,
                  f.queue_type) pick
         order by ${queuePrioritySql('pick')} desc, pick.queued_at, pick.id
         limit 1`,
        [branchOffice, branchOffice, branchOffice, branchOffice, this.deps.preferentialEvery, this.deps.preferentialEvery],
      );
      if (!candidate) return null;
      const [ticket] = await tx.execute<LockedTicket[]>(
        `select id, numero, queue_type, status, position_in_queue, atencion_preferente is not null as pref from ticket
         where id = ? and status in ${WAITING} and reserved_advisor_id is null for update`,
        [candidate.id],
      );
      if (ticket) return { ticket };
    }
    return null;
  }
}

