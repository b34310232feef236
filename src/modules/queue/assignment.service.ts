import type { Db, Queryable } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import type { DomainEvents, EventBus } from '../../events.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { WAITING, queuePrioritySql } from '../tickets/queue.sql.js';

/** Who was called to which module: the payload of the `ticket.assigned` event. */
export type Assignment = DomainEvents['ticket.assigned'];

const SYSTEM: Origin = { actor: 'SYSTEM' };

interface LockedTicket {
  id: string;
  numero: string;
  queue_type: QueueType;
  status: string;
  position_in_queue: number;
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

  constructor(private readonly deps: { db: Db; clock: Clock; events: EventBus }) {}

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
                         and t.status in ${WAITING})) as pending`,
      [branchOffice, branchOffice],
    );
    return pending?.pending === true;
  }

  /** Every branch where someone waits and an advisor is free: the queue job's sweep. */
  async assignAllBranches(): Promise<Assignment[]> {
    const branches = await this.deps.db.execute<{ branch_office: string }[]>(
      `select distinct t.branch_office from ticket t
       where t.status in ${WAITING}
         and exists (select 1 from advisor a where a.branch_office = t.branch_office
                       and a.status = 'AVAILABLE' and ${SERVES})`,
    );
    const all: Assignment[] = [];
    for (const { branch_office } of branches) all.push(...(await this.assignAvailable(branch_office)));
    return all;
  }

  async assignNext(branchOffice: string): Promise<Assignment | null> {
    const em = this.deps.db;
    const assignment = await em.transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext('ticketero:assign'), hashtext(?))`, [branchOffice]);
      const now = this.deps.clock.now();

      const ticket = await this.lockNextTicket(tx, branchOffice);
      if (!ticket) return null;

      const [advisor] = await tx.execute<
        { id: string; name: string; email: string; module_number: number; assigned_tickets_count: number }[]
      >(
        `select a.id, a.name, a.email, a.module_number, a.assigned_tickets_count from advisor a
         where a.branch_office = ? and a.status = 'AVAILABLE' and a.queue_types::jsonb @> to_jsonb(?::text)
         order by a.workload_minutes, a.last_assigned_at nulls first, a.id
         limit 1
         for update`,
        [branchOffice, ticket.queue_type],
      );
      // Re-checked under the lock: an advisor who went away meanwhile is simply not returned.
      if (!advisor) return null;

      const count = advisor.assigned_tickets_count + 1;
      const [called] = await tx.execute<{ created_at: string }[]>(
        `update ticket set status = 'ATENDIENDO', assigned_advisor_id = ?, assigned_module_number = ?,
           assigned_at = ?, position_in_queue = 0, estimated_wait_minutes = 0, updated_at = ?
         where id = ? returning created_at`,
        [advisor.id, advisor.module_number, now, now, ticket.id],
      );
      await tx.execute(
        `update advisor set status = 'BUSY', assigned_tickets_count = ?, last_assigned_at = ?,
           workload_minutes = ?, updated_at = ? where id = ?`,
        [count, now, count * QUEUES[ticket.queue_type].averageMinutes, now, advisor.id],
      );
      // Both "near" and "your turn" are now due: a ticket assigned at once still gets all three.
      await tx.execute(
        `update mensaje set fecha_programada = ? where ticket_id = ? and estado_envio = 'PENDIENTE'
           and plantilla in ('TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO')`,
        [now, ticket.id],
      );
      const details = { numero: ticket.numero, queueType: ticket.queue_type, branchOffice };
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_ASIGNADO',
        origin: SYSTEM,
        oldState: { status: ticket.status, positionInQueue: ticket.position_in_queue },
        newState: { status: 'ATENDIENDO', advisorId: Number(advisor.id), moduleNumber: advisor.module_number },
        additionalData: details,
        at: now,
      });
      await recordAudit(tx, {
        entityType: 'ADVISOR',
        entityId: advisor.id,
        eventType: 'ADVISOR_ASSIGNED',
        origin: SYSTEM,
        oldState: { status: 'AVAILABLE', assignedTicketsCount: advisor.assigned_tickets_count },
        newState: { status: 'BUSY', assignedTicketsCount: count, ticketId: Number(ticket.id) },
        additionalData: details,
        at: now,
      });
      return {
        ticketId: Number(ticket.id),
        numero: ticket.numero,
        queueType: ticket.queue_type,
        branchOffice,
        advisorId: Number(advisor.id),
        advisorName: advisor.name,
        moduleNumber: advisor.module_number,
        waitedSeconds: called ? Math.max(0, (now.getTime() - Date.parse(`${called.created_at.replace(' ', 'T')}Z`)) / 1000) : undefined,
      } satisfies Assignment;
    });
    if (assignment) this.deps.events.emit('ticket.assigned', assignment);
    return assignment;
  }

  /**
   * The oldest waiting ticket of each queue a free advisor serves (one index probe per queue),
   * the highest priority among them, locked and re-checked; if it changed meanwhile (cancelled),
   * the next candidate.
   */
  private async lockNextTicket(tx: Queryable, branchOffice: string): Promise<LockedTicket | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [candidate] = await tx.execute<{ id: string }[]>(
        `select t.id from (${FREE_QUEUES}) f
         cross join lateral (
           select w.id, w.queue_type, w.created_at from ticket w
           where w.branch_office = ? and w.queue_type = f.queue_type and w.status in ${WAITING}
           order by w.created_at, w.id limit 1) t
         order by ${queuePrioritySql('t')} desc, t.created_at, t.id
         limit 1`,
        [branchOffice, branchOffice],
      );
      if (!candidate) return null;
      const [ticket] = await tx.execute<LockedTicket[]>(
        `select id, numero, queue_type, status, position_in_queue from ticket
         where id = ? and status in ${WAITING} for update`,
        [candidate.id],
      );
      if (ticket) return ticket;
    }
    return null;
  }
}

