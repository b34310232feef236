import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { toNumbered } from '../../src/db/sql.js';
import { estimateWaitMinutes, isProximo } from '../../src/domain/estimate.js';
import { formatTicketNumber } from '../../src/domain/numbering.js';
import type { TicketStatus } from '../../src/domain/ticket-status.js';
import {
  INSERT_TICKET_SQL,
  insertTicketParams,
  NEXT_NUMBER_SQL,
  nextNumberParams,
  type NextNumberRow,
  TICKET_CONTEXT_SQL,
  ticketContextParams,
  type TicketContextRow,
} from '../../src/modules/tickets/ticket.sql.js';
import type { PersonalDataCipher } from '../../src/modules/privacy/cipher.js';
import { sealTicketPersonalData } from '../../src/modules/privacy/sealed.js';
import { BENCH_IP, BENCH_USER_AGENT, type TicketRequest } from './workload.js';

// The statements of TicketService.takeTicket, text for text (src/modules/tickets/ticket.sql.ts).
const NEXT_NUMBER = toNumbered(NEXT_NUMBER_SQL);
const CONTEXT = toNumbered(TICKET_CONTEXT_SQL);
const INSERT_TICKET = toNumbered(INSERT_TICKET_SQL);

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
    const counter = (await client.query<NextNumberRow>(NEXT_NUMBER, nextNumberParams(branchOffice, queueType, now))).rows[0];
    if (!counter) throw new Error(`unknown branch ${branchOffice}`);
    const numero = formatTicketNumber(queueType, counter.last_number);
    const day = counter.service_date;

    const context = (
      await client.query<TicketContextRow>(
        CONTEXT,
        ticketContextParams(personal.nationalIdBidx, branchOffice, queueType, now, settings.opensEarlyMinutes ?? 15),
      )
    ).rows[0]!;
    if (context.active_numero) throw new Error(`TICKET_ACTIVO_EXISTENTE ${context.active_numero}`);
    if (!context.branch_active || context.opens_at !== null || !context.offers_queue) throw new Error(`branch ${branchOffice} refuses`);

    const position = context.waiting + 1;
    const estimate = estimateWaitMinutes(position, queueType, context.online);
    const status: TicketStatus = isProximo(position, settings.proximoThreshold) ? 'PROXIMO' : 'EN_ESPERA';
    const createdAt = new Date();
    const reachable = telefono !== null || context.registered;
    await client.query(
      INSERT_TICKET,
      insertTicketParams({
        codigo,
        numero,
        personal,
        branchOffice,
        queueType,
        status,
        position,
        estimate,
        serviceDate: day,
        createdAt,
        reachable,
        origin: { actor: 'KIOSK', ipAddress: BENCH_IP, userAgent: BENCH_USER_AGENT },
      }),
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
