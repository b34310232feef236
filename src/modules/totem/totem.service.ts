import type { Origin } from '../audit/audit.service.js';
import type { TicketLinkService } from '../ticket-links/ticket-link.service.js';
import type { DeepLinks, IdempotencyRequest, TakenTicket, TicketService } from '../tickets/ticket.service.js';
import type { TakeTicketCommand } from '../tickets/ticket.validation.js';

/** A ticket as the tótem (and any kiosk client) receives it: with its single-use way into the bot. */
export interface KioskTicket extends TakenTicket {
  /** `https://t.me/<bot>?start=<token>`: the QR (SPEC §19); null while Telegram is off. */
  telegramLink: string | null;
  /** For `/turno CODE` in the bot, for whoever cannot scan; null while Telegram is off. */
  codigoCorto: string | null;
}

/**
 * What taking a number at a kiosk means (SPEC §19): the ticket (idempotent), then a fresh link
 * into the bot. A replayed answer gets a fresh link too: the first one may never have been shown.
 */
export class TotemService {
  constructor(private readonly deps: { tickets: TicketService; ticketLinks: TicketLinkService; links: DeepLinks }) {}

  /** `deviceId`: the kiosk device whose token took it (SPEC §17), recorded on the ticket. */
  async takeTicket(command: TakeTicketCommand, origin: Origin, idempotency?: IdempotencyRequest, deviceId?: number): Promise<KioskTicket> {
    const ticket = await this.deps.tickets.takeTicket(command, origin, idempotency, deviceId === undefined ? {} : { deviceId });
    // No bot, no link: a token nobody can open is not worth a row.
    if (this.deps.links.start('x') === null) return { ...ticket, telegramLink: null, codigoCorto: null };
    const issued = await this.deps.ticketLinks.issue(ticket.identificador);
    return { ...ticket, telegramLink: this.deps.links.start(issued.token), codigoCorto: issued.shortCode };
  }
}
