import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { renderSVG } from 'uqr';
import type { TicketService } from '../../modules/tickets/ticket.service.js';
import type { TotemService } from '../../modules/totem/totem.service.js';
import { requestOrigin } from '../middleware/principal.js';
import { errorResponse, jsonBody, jsonResponse, openApiRouter } from '../schemas/openapi-router.js';
import { BranchQuery } from '../schemas/supervision.js';
import {
  CodigoParams,
  NewTicketBody,
  NumeroParams,
  PositionSchema,
  TakeTicketHeaders,
  TakeTicketQuery,
  TicketCreatedSchema,
  TicketSchema,
} from '../schemas/tickets.js';

export interface KioskRoutesDeps {
  tickets: TicketService;
  totem: TotemService;
  trustProxy: boolean;
}

const security: Array<Record<string, string[]>> = [{ kiosk: [] }];
const refusals = {
  400: errorResponse('Datos inválidos (VALIDACION_FALLIDA, con campos)'),
  401: errorResponse('Falta la credencial del tótem o no es válida (NO_AUTORIZADO)'),
  403: errorResponse('La credencial es de otra sucursal (SUCURSAL_NO_AUTORIZADA)'),
};
const notFound = { 404: errorResponse('No existe (TICKET_NO_ENCONTRADO)') };

/** The kiosk's doors: take a number, look it up, give it up. Thin: the rules live in TicketService. */
export function kioskRoutes({ tickets, totem, trustProxy }: KioskRoutesDeps): OpenAPIHono {
  const app = openApiRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Entrega un número de atención',
      security,
      middleware: [jsonBody()],
      request: { headers: TakeTicketHeaders, query: TakeTicketQuery, body: { required: true, content: { 'application/json': { schema: NewTicketBody } } } },
      responses: {
        201: jsonResponse('Ticket creado', TicketCreatedSchema),
        200: {
          ...jsonResponse('El mismo ticket que entregó antes la misma Idempotency-Key', TicketCreatedSchema),
          headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
        },
        ...refusals,
        409: errorResponse('El RUT ya tiene un ticket activo (TICKET_ACTIVO_EXISTENTE) o la sucursal está cerrada (SUCURSAL_CERRADA)'),
        413: errorResponse('Más de 16 KiB (CUERPO_DEMASIADO_GRANDE)'),
        415: errorResponse('El cuerpo no es application/json (TIPO_CONTENIDO_NO_SOPORTADO)'),
        422: errorResponse('La Idempotency-Key ya se usó con otra solicitud (IDEMPOTENCIA_CONFLICTO)'),
      },
    }),
    async (c) => {
      const command = c.req.valid('json');
      // A kiosk credential of one branch takes numbers for that branch (the route table refused any other):
      // a device's tickets are its branch's, and record the device (SPEC §17).
      const principal = c.get('principal');
      if (command.branchOffice === null && principal && principal.branches !== 'ALL' && principal.branches.length > 0) {
        command.branchOffice = principal.branches[0]!;
      }
      const deviceId = principal?.kind === 'device' && principal.id !== null ? principal.id : undefined;
      const key = c.req.valid('header')['Idempotency-Key'];
      const idempotency = key === undefined ? undefined : { credential: c.req.header('authorization') ?? '', key };
      const ticket = await totem.takeTicket(command, requestOrigin(c, trustProxy, 'KIOSK'), idempotency, deviceId);
      // SPEC §19: a repeated request gives back the first one's ticket, said in a header.
      if (ticket.replayed) c.header('Idempotent-Replayed', 'true');
      const body = {
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
        ...(c.req.valid('query').qr === 'svg' ? { telegramQrSvg: ticket.telegramLink ? renderSVG(ticket.telegramLink) : null } : {}),
      };
      return ticket.replayed ? c.json(body, 200) : c.json(body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{numero}/position',
      summary: 'Posición y espera estimada de un número de hoy',
      security,
      request: { params: NumeroParams, query: BranchQuery },
      responses: { 200: jsonResponse('Posición', PositionSchema), ...refusals, ...notFound },
    }),
    async (c) => {
      const ticket = await tickets.getByNumero(c.req.valid('param').numero, c.req.valid('query').branchOffice);
      return c.json(
        {
          numero: ticket.numero,
          branchOffice: ticket.branchOffice,
          queueType: ticket.queueType,
          status: ticket.status,
          positionInQueue: ticket.positionInQueue,
          estimatedWaitMinutes: ticket.estimatedWaitMinutes,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{codigoReferencia}',
      summary: 'Consulta un ticket por su código de referencia',
      security,
      request: { params: CodigoParams },
      responses: { 200: jsonResponse('El ticket', TicketSchema), ...refusals, ...notFound },
    }),
    async (c) => c.json(await tickets.getByCodigo(c.req.valid('param').codigoReferencia), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{codigoReferencia}/cancel',
      summary: 'Anula un ticket que aún espera',
      security,
      request: { params: CodigoParams },
      responses: {
        200: jsonResponse('Ticket anulado', TicketSchema),
        ...refusals,
        ...notFound,
        409: errorResponse('Ya está siendo atendido o finalizó (TICKET_NO_CANCELABLE)'),
      },
    }),
    async (c) => c.json(await tickets.cancel(c.req.valid('param').codigoReferencia, requestOrigin(c, trustProxy, 'KIOSK')), 200),
  );

  return app;
}
