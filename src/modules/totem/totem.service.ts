import type { Origin } from '../audit/audit.service.js';
import type { TicketLinkService } from '../ticket-links/ticket-link.service.js';
import type { DeepLinks, IdempotencyRequest, TakenTicket, TicketService } from '../tickets/ticket.service.js';
import type { TakeTicketCommand } from '../tickets/ticket.validation.js';
import type { Impresion, TicketPrintingService } from '../printing/printing.service.js';

/** A ticket as the tótem (and any kiosk client) receives it: with its single-use way into the bot. */
export interface KioskTicket extends TakenTicket {
  /** `https://t.me/<bot>?start=<token>`: the QR (SPEC §19); null while Telegram is off. */
  telegramLink: string | null;
  /** For `/turno CODE` in the bot, for whoever cannot scan; null while Telegram is off. */
  codigoCorto: string | null;
  /** SPEC §19: what became of the paper (printed by the server, not printed, or left to the browser). */
  impresion: Impresion;
}

/**
 * What taking a number at a kiosk means (SPEC §19): the ticket (idempotent), then a fresh link
 * into the bot, then the paper. A replayed answer gets a fresh link too: the first one may never
 * have been shown.
 *
 * Printing comes after the ticket's transaction has committed and before the answer, bounded by
 * PRINTER_TIMEOUT_MS: the page must know whether the paper came out to say "Sin papel", and a
 * printer that is off or silent then delays one answer by at most that — it never holds a
 * database transaction or lock, and never undoes the ticket.
 */
export class TotemService {
  constructor(
    private readonly deps: { tickets: TicketService; ticketLinks: TicketLinkService; links: DeepLinks; printing: TicketPrintingService },
  ) {}

  /** `deviceId`: the kiosk device whose token took it (SPEC §17), recorded on the ticket. */
  async takeTicket(command: TakeTicketCommand, origin: Origin, idempotency?: IdempotencyRequest, deviceId?: number): Promise<KioskTicket> {
    const ticket = await this.deps.tickets.takeTicket(command, origin, idempotency, deviceId === undefined ? {} : { deviceId });
    // No bot, no link: a token nobody can open is not worth a row.
    let link: { telegramLink: string | null; codigoCorto: string | null } = { telegramLink: null, codigoCorto: null };
    if (this.deps.links.start('x') !== null) {
      const issued = await this.deps.ticketLinks.issue(ticket.identificador);
      link = { telegramLink: this.deps.links.start(issued.token), codigoCorto: issued.shortCode };
    }
    const impresion = await this.deps.printing.printKioskTicket(
      deviceId ?? null,
      { ...ticket, ...link, createdAt: new Date(ticket.createdAt) },
      ticket.replayed,
    );
    return { ...ticket, ...link, impresion };
  }
}
