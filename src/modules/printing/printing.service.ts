import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import type { Logger } from '../../logger.js';
import { recordAudit } from '../audit/audit.service.js';
import type { BranchZones } from '../branches/branch-zones.js';
import { totemTexts } from '../totem/texts.js';
import { printOnce, type PrinterTarget, type PrintResult } from './printer-client.js';
import { renderReceipt } from './ticket-receipt.js';

/**
 * What the kiosk's answer says about the paper (SPEC §19): printed by the server, not printed
 * (out of paper, or the printer did not answer) — the ticket is valid all the same — or left to
 * the browser because the device has no printer.
 */
export type ImpresionEstado = 'IMPRESA' | 'SIN_PAPEL' | 'DESCONECTADA' | 'NAVEGADOR';
export interface Impresion {
  estado: ImpresionEstado;
}

/** What is printed about a ticket just taken. */
export interface TicketToPrint {
  numero: string;
  queueType: QueueType;
  branchOffice: string;
  positionInQueue: number;
  estimatedWaitMinutes: number;
  createdAt: Date;
  telegramLink: string | null;
  codigoCorto: string | null;
}

/** A printer alert on the supervisor's dashboard, per device, until a later ticket prints. */
export interface PrinterAlert {
  type: 'TOTEM_SIN_PAPEL' | 'IMPRESORA_DESCONECTADA';
  branchOffice: string;
  deviceId: number;
  deviceName: string;
  /** Since when (ISO): the first failed ticket of this run of failures. */
  since: string;
  mensaje: string;
}

export interface TicketPrintingDeps {
  db: Db;
  clock: Clock;
  zones: BranchZones;
  /** The device's printer (SPEC §17/§19), or null: no printer, revoked, or not a kiosk. */
  printerOf: (db: Queryable, deviceId: number) => Promise<PrinterTarget | null>;
  /** The whole exchange with the printer — connect, status, send — is bounded by this. */
  timeoutMs: number;
  logger?: Logger;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
/** `05/12/2026 09:41` in the branch's zone. */
export function branchDateTime(at: Date, timeZone: string): string {
  let format = dateTimeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('es-CL', {
      timeZone,
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')}/${get('month')}/${get('year')} ${get('hour')}:${get('minute')}`;
}

/**
 * The server's printing of kiosk tickets (SPEC §19). Called after the ticket's transaction has
 * committed: a printer that is slow, off or out of paper can delay the answer by at most
 * `timeoutMs` and can never undo the ticket. Each device's last result is kept in
 * `device_printer_status`; a failure raises the dashboard's alert, the next printed ticket clears it.
 */
export class TicketPrintingService {
  constructor(private readonly deps: TicketPrintingDeps) {}

  /**
   * Prints a new ticket on its device's printer; `NAVEGADOR` when there is no device (an
   * integration key) or the device has no printer. A replayed request prints nothing again (the
   * first one printed, or tried to): it is answered with the device's last known state.
   */
  async printKioskTicket(deviceId: number | null, ticket: TicketToPrint, replayed: boolean): Promise<Impresion> {
    if (deviceId === null) return { estado: 'NAVEGADOR' };
    const target = await this.deps.printerOf(this.deps.db, deviceId);
    if (!target) return { estado: 'NAVEGADOR' };
    if (replayed) return { estado: (await this.lastState(deviceId)) ?? 'IMPRESA' };
    let result: PrintResult;
    try {
      const timeZone = await this.deps.zones.of(this.deps.db, ticket.branchOffice);
      const bytes = renderReceipt({
        branch: ticket.branchOffice,
        numero: ticket.numero,
        queue: QUEUES[ticket.queueType].label,
        dateTime: branchDateTime(ticket.createdAt, timeZone),
        ahead: totemTexts.ahead(Math.max(0, ticket.positionInQueue - 1)),
        estimate: totemTexts.estimate(ticket.estimatedWaitMinutes),
        link: ticket.telegramLink,
        codeLine: ticket.telegramLink && ticket.codigoCorto ? totemTexts.codeLine(ticket.codigoCorto) : null,
        footer: totemTexts.footer,
      });
      result = await printOnce(target, bytes, this.deps.timeoutMs);
    } catch (error) {
      // Never the ticket's problem: the answer says the paper did not come out.
      this.deps.logger?.error({ err: error, deviceId }, 'printing a ticket failed');
      result = { estado: 'DESCONECTADA', motivo: 'ERROR_DE_ENVIO' };
    }
    await this.record(deviceId, result).catch((error: unknown) =>
      this.deps.logger?.error({ err: error, deviceId }, 'could not record the printer status'),
    );
    return { estado: result.estado };
  }

  private async lastState(deviceId: number): Promise<ImpresionEstado | null> {
    const [row] = await this.deps.db.execute<{ estado: ImpresionEstado }[]>(
      `select estado from device_printer_status where device_id = ?`,
      [deviceId],
    );
    return row?.estado ?? null;
  }

  /** Keeps the device's state; a change of state is logged and audited (the actor is the device). */
  private async record(deviceId: number, result: PrintResult): Promise<void> {
    const now = this.deps.clock.now();
    const motivo = result.estado === 'DESCONECTADA' ? result.motivo : null;
    await this.deps.db.transactional(async (tx) => {
      const [before] = await tx.execute<{ estado: string }[]>(
        `select estado from device_printer_status where device_id = ? for update`,
        [deviceId],
      );
      await tx.execute(
        `insert into device_printer_status (device_id, estado, motivo, since, updated_at) values (?, ?, ?, ?, ?)
         on conflict (device_id) do update set
           since = case when device_printer_status.estado = excluded.estado then device_printer_status.since else excluded.since end,
           estado = excluded.estado, motivo = excluded.motivo, updated_at = excluded.updated_at`,
        [deviceId, result.estado, motivo, now, now],
      );
      const was = before?.estado ?? 'IMPRESA';
      if (was === result.estado) return;
      this.deps.logger?.[result.estado === 'IMPRESA' ? 'info' : 'warn']({ deviceId, estado: result.estado, motivo, antes: was }, 'printer state changed');
      await recordAudit(tx, {
        entityType: 'DISPOSITIVO',
        entityId: deviceId,
        eventType: result.estado === 'IMPRESA' ? 'IMPRESORA_REPUESTA' : result.estado === 'SIN_PAPEL' ? 'IMPRESORA_SIN_PAPEL' : 'IMPRESORA_DESCONECTADA',
        origin: { actor: `device:${deviceId}` },
        oldState: { estado: was },
        newState: { estado: result.estado, motivo },
        at: now,
      });
    });
  }

  /** The printer alerts of one branch (by name), or of every branch: one statement. */
  async alerts(branchOffice?: string): Promise<PrinterAlert[]> {
    const rows = await this.deps.db.execute<{ device_id: string; name: string; branch: string; estado: 'SIN_PAPEL' | 'DESCONECTADA'; since: string }[]>(
      `select s.device_id, d.name, b.name as branch, s.estado, s.since
         from device_printer_status s
         join device d on d.id = s.device_id
         join branch b on b.id = d.branch_id
        where s.estado <> 'IMPRESA' and d.revoked_at is null and d.printer_host is not null
          ${branchOffice === undefined ? '' : 'and b.name = ?'}
        order by b.name, d.name`,
      branchOffice === undefined ? [] : [branchOffice],
    );
    return rows.map((r) => ({
      type: r.estado === 'SIN_PAPEL' ? ('TOTEM_SIN_PAPEL' as const) : ('IMPRESORA_DESCONECTADA' as const),
      branchOffice: r.branch,
      deviceId: Number(r.device_id),
      deviceName: r.name,
      since: new Date(`${r.since}Z`).toISOString(),
      mensaje: r.estado === 'SIN_PAPEL' ? totemTexts.paperOut(r.name) : totemTexts.disconnected(r.name),
    }));
  }
}
