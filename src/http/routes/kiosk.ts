import { Hono, type MiddlewareHandler } from 'hono';
import type { TicketService } from '../../modules/tickets/ticket.service.js';
import {
  parseBranchOffice,
  parseCodigoReferencia,
  parseNumero,
  parseTakeTicket,
} from '../../modules/tickets/ticket.validation.js';
import { readJsonBody } from '../middleware/json-body.js';
import { originOf } from '../middleware/request-context.js';

export interface KioskRoutesDeps {
  tickets: TicketService;
  trustProxy: boolean;
  auth: MiddlewareHandler;
}

/** The kiosk's doors: take a number, look it up, give it up. Thin: the rules live in TicketService. */
export function kioskRoutes({ tickets, trustProxy, auth }: KioskRoutesDeps): Hono {
  const app = new Hono();
  app.use('*', auth);

  app.post('/', async (c) => {
    const command = parseTakeTicket(await readJsonBody(c));
    const ticket = await tickets.takeTicket(command, originOf(c, 'KIOSK', trustProxy));
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
      },
      201,
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
    const ticket = await tickets.cancel(codigo, originOf(c, 'KIOSK', trustProxy));
    return c.json(ticket);
  });

  return app;
}
