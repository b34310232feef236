import type { Queryable } from '../../db/sql.js';
import type { FloorState } from '../../domain/floor.js';
import type { QueueType } from '../../domain/queue-types.js';
import { DomainError } from '../../errors.js';
import type { AdvisorStatus } from './advisor.entity.js';

/*
 * An advisor's row as every door that changes it takes it (the floor, the advisor's own actions,
 * staff administration): locked first, before any ticket, inside the caller's transaction; and
 * the advisor's status periods (advisor_status_period), kept with each change of floor state.
 */

export interface LockedAdvisor {
  id: string;
  name: string;
  email: string;
  status: AdvisorStatus;
  branch_office: string;
  module_number: number;
  queue_types: QueueType[];
  assigned_tickets_count: number;
  total_tickets_served_today: number;
  average_service_time_minutes: string | null;
  pause_reason: string | null;
  /** SPEC §17: false once deactivated (then always OFFLINE). */
  active: boolean;
}

export async function lockAdvisor(tx: Queryable, advisorId: number): Promise<LockedAdvisor> {
  const [advisor] = await tx.execute<LockedAdvisor[]>(
    `select id, name, email, status, branch_office, module_number, queue_types, assigned_tickets_count,
            total_tickets_served_today, average_service_time_minutes, pause_reason, active
     from advisor where id = ? for update`,
    [advisorId],
  );
  if (!advisor) throw advisorNotFound(advisorId);
  return advisor;
}

export function advisorNotFound(advisorId: number): DomainError {
  return new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
}

/** Closes the advisor's open status period and opens the new one, unless nothing changed. */
export async function moveAdvisorState(
  tx: Queryable,
  advisorId: number | string,
  state: FloorState,
  reason: string | null,
  now: Date,
): Promise<void> {
  await tx.execute(
    `update advisor_status_period set ended_at = ?
     where advisor_id = ? and ended_at is null and (status <> ? or reason is distinct from ?)`,
    [now, advisorId, state, reason],
  );
  await tx.execute(
    `insert into advisor_status_period (advisor_id, status, reason, started_at)
     select ?, ?, ?, ? where not exists (select 1 from advisor_status_period where advisor_id = ? and ended_at is null)`,
    [advisorId, state, reason, now, advisorId],
  );
}
