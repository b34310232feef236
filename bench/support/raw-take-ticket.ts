import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { toNumbered } from '../../src/db/sql.js';
import {
  TAKE_TICKET_SQL,
  takeTicketParams,
  type TakeTicketRow,
  TICKET_CONTEXT_SQL,
  ticketContextParams,
  type TicketContextRow,
} from '../../src/modules/tickets/ticket.sql.js';
import type { PersonalDataCipher } from '../../src/modules/privacy/cipher.js';
import { sealTicketPersonalData } from '../../src/modules/privacy/sealed.js';
import { BENCH_IP, BENCH_USER_AGENT, type TicketRequest } from './workload.js';

// The statements of TicketService.takeTicket, text for text (src/modules/tickets/ticket.sql.ts).
const CONTEXT = toNumbered(TICKET_CONTEXT_SQL);
const TAKE_TICKET = toNumbered(TAKE_TICKET_SQL);

export interface RawSettings {
  /** KIOSK_OPENS_EARLY_MINUTES (default 15). */
  opensEarlyMinutes?: number;
  proximoThreshold: number;
  /** The app's cipher: the baseline stores RUT and phone the way the app does (SPEC §14). */
  personalData: PersonalDataCipher;
}

/**
 * The "take a ticket" transaction with nothing between the code and PostgreSQL but `pg`: the same
 * statements, in the same order, with the same values as the app computes them.
 */
export async function rawTakeTicket(pool: pg.Pool, request: TicketRequest, settings: RawSettings): Promise<void> {
  const { branchOffice, queueType, nationalId } = request;
  const telefono = request.telefono ?? null;
  const now = new Date();
  const codigo = randomUUID();
  const personal = sealTicketPersonalData(settings.personalData, nationalId, telefono);

  const client = await pool.connect();
  try {
    await client.query('begin');
    const context = (
      await client.query<TicketContextRow>(
        CONTEXT,
        ticketContextParams(personal.nationalIdBidx, branchOffice, queueType, now, settings.opensEarlyMinutes ?? 15),
      )
    ).rows[0]!;
    if (!context.branch_known) throw new Error(`unknown branch ${branchOffice}`);
    if (context.active_numero) throw new Error(`TICKET_ACTIVO_EXISTENTE ${context.active_numero}`);
    if (!context.branch_active || context.opens_at !== null || !context.offers_queue) throw new Error(`branch ${branchOffice} refuses`);
    const reachable = telefono !== null || context.registered;
    // The seed's formula (promised null), computed by the statement as the app's formula side does.
    const taken = await client.query<TakeTicketRow>(
      TAKE_TICKET,
      takeTicketParams({
        codigo,
        personal,
        branchOffice,
        queueType,
        now: new Date(),
        promised: null,
        online: context.online,
        proximoThreshold: settings.proximoThreshold,
        reachable,
        phoneConsent: false,
        origin: { actor: 'KIOSK', ipAddress: BENCH_IP, userAgent: BENCH_USER_AGENT },
      }),
    );
    if (taken.rows.length === 0) throw new Error(`unknown branch ${branchOffice}`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
