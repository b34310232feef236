import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import { DomainError } from '../../errors.js';

/** The leads a customer may choose for "Avísame cuando falten N minutos" (SPEC §13). */
export const COME_BACK_LEADS = [10, 20, 30] as const;

/**
 * "Avísame cuando falten N minutos": the customer leaves and is told, with the truthful PROXIMO
 * notice, when the remaining wait may reach N (the queue job decides; see queue-hook.ts).
 */
export class ComeBackService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** Records (or changes, while not yet told) the lead for a waiting ticket. */
  async request(ticketId: number, leadMinutes: number): Promise<void> {
    if (!Number.isInteger(leadMinutes) || leadMinutes < 1 || leadMinutes > 120) {
      throw new DomainError('VALIDACION_FALLIDA', 'Los minutos de aviso deben estar entre 1 y 120');
    }
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.execute<{ ticket_id: string }[]>(
      `insert into ticket_come_back (ticket_id, lead_minutes, created_at)
       select t.id, ?, ? from ticket t where t.id = ? and t.status in ('EN_ESPERA', 'PROXIMO')
       on conflict (ticket_id) do update set lead_minutes = excluded.lead_minutes
         where ticket_come_back.notified_at is null
       returning ticket_id`,
      [leadMinutes, now, ticketId],
    );
    if (!row) {
      const [ticket] = await this.deps.db.execute<{ status: string }[]>(`select status from ticket where id = ?`, [ticketId]);
      if (!ticket) throw new DomainError('TICKET_NO_ENCONTRADO', 'No existe un ticket con ese identificador');
      if (ticket.status !== 'EN_ESPERA' && ticket.status !== 'PROXIMO') {
        throw new DomainError('TRANSICION_INVALIDA', 'El ticket ya no está en espera');
      }
      // Already told: nothing left to arm.
    }
  }

  async leadOf(ticketId: number): Promise<number | null> {
    const [row] = await this.deps.db.execute<{ lead_minutes: number }[]>(
      `select lead_minutes from ticket_come_back where ticket_id = ?`,
      [ticketId],
    );
    return row?.lead_minutes ?? null;
  }
}
