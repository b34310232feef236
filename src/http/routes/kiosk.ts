import { Hono } from 'hono';
import type { TicketService } from '../../modules/tickets/ticket.service.js';
import {
  parseBranchOffice,
  parseCodigoReferencia,
  parseNumero,
  parseTakeTicket,
} from '../../modules/tickets/ticket.validation.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { isValidIdempotencyKey } from '../../modules/tickets/idempotency.js';
import type { IdempotencyRequest } from '../../modules/tickets/ticket.service.js';
import { ValidationError } from '../../errors.js';
import type { Context } from 'hono';
import { renderSVG } from 'uqr';
import type { TotemService } from '../../modules/totem/totem.service.js';

/** The `Idempotency-Key` header, scoped to the credential the request came with. */
function idempotencyOf(c: Context): IdempotencyRequest | null {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return null;
  if (!isValidIdempotencyKey(key)) {
    throw new ValidationError({ 'Idempotency-Key': 'Debe tener de 1 a 255 caracteres ASCII visibles (p. ej. un UUID)' });
  }
  return { credential: c.req.header('authorization') ?? '', key };
}

export interface KioskRoutesDeps {
  tickets: TicketService;
  totem: TotemService;
  trustProxy: boolean;
}

/** The kiosk's doors: take a number, look it up, give it up. Thin: the rules live in TicketService. */
export function kioskRoutes({ tickets, totem, trustProxy }: KioskRoutesDeps): Hono {
  const app = new Hono();

  app.post('/', async (c) => {
    const command = parseTakeTicket(await readJsonBody(c));
    // A kiosk credential of one branch takes numbers for that branch (the route table refused any other):
    // a device's tickets are its branch's, and record the device (SPEC §17).
    const principal = c.get('principal');
    if (command.branchOffice === null && principal && principal.branches !== 'ALL' && principal.branches.length > 0) {
      command.branchOffice = principal.branches[0]!;
    }
    const deviceId = principal?.kind === 'device' && principal.id !== null ? principal.id : undefined;
    const idempotency = idempotencyOf(c);
    const ticket = await totem.takeTicket(command, requestOrigin(c, trustProxy, 'KIOSK'), idempotency ?? undefined, deviceId);
    // SPEC §19: a repeated request gives back the first one's ticket, said in a header.
    if (ticket.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(
      {
        identificador: ticket.identificador,
        numero: ticket.numero,
        positionInQueue: ticket.positionInQueue,
        estimatedWaitMinutes: ticket.estimatedWaitMinutes,
        queueType: ticket.queueType,
        status: ticket.status,
        branchOffice: ticket.branchOffice,
        telegramLink: ticket.telegramLink,
        codigoCorto: ticket.codigoCorto,
        // SPEC §19: IMPRESA, SIN_PAPEL or DESCONECTADA (the ticket is valid all the same), NAVEGADOR (no printer).
        impresion: ticket.impresion,
        // `?qr=svg`: the link as a QR the page shows as is (SPEC §19: rendered by the app).
        ...(c.req.query('qr') === 'svg' ? { telegramQrSvg: ticket.telegramLink ? renderSVG(ticket.telegramLink) : null } : {}),
      },
      ticket.replayed ? 200 : 201,
    );
  });

  app.get('/:numero/position', async (c) => {
    const numero = parseNumero(c.req.param('numero'));
    const branch = parseBranchOffice(c.req.query('branchOffice'));
    const ticket = await tickets.getByNumero(numero, branch);
    return c.json({
      numero: ticket.numero,
      branchOffice: ticket.branchOffice,
      queueType: ticket.queueType,
      status: ticket.status,
      positionInQueue: ticket.positionInQueue,
      estimatedWaitMinutes: ticket.estimatedWaitMinutes,
    });
  });

  app.get('/:codigoReferencia', async (c) => {
    const ticket = await tickets.getByCodigo(parseCodigoReferencia(c.req.param('codigoReferencia')));
    return c.json(ticket);
  });

  app.post('/:codigoReferencia/cancel', async (c) => {
    const codigo = parseCodigoReferencia(c.req.param('codigoReferencia'));
    const ticket = await tickets.cancel(codigo, requestOrigin(c, trustProxy, 'KIOSK'));
    return c.json(ticket);
  });

  return app;
}
