import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdvisorService } from '../../modules/advisors/advisor.service.js';
import type { FloorService } from '../../modules/floor/floor.service.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { requestOrigin } from '../middleware/principal.js';
import { CallOutOfOrderBody, OutcomeBody, StatusBody, TransferBody } from '../schemas/floor.js';
import { errorResponse, jsonBody, jsonResponse, openApiRouter } from '../schemas/openapi-router.js';
import { idParam } from '../schemas/params.js';
import {
  AdvisorListQuery,
  AdvisorViewSchema,
  AuditQuery,
  BranchQuery,
  DashboardSchema,
  HistorySchema,
  QueueStatsSchema,
  QueueTypeParams,
  SummarySchema,
} from '../schemas/supervision.js';

export interface AdminRoutesDeps {
  advisors: AdvisorService;
  floor: FloorService;
  supervision: SupervisionService;
  defaultBranch: string;
  trustProxy: boolean;
}

const security: Array<Record<string, string[]>> = [{ admin: [] }, { session: [] }];
const AdvisorParams = z.object({ id: idParam.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 1 }) });
const refusals = {
  400: errorResponse('Datos inválidos (VALIDACION_FALLIDA, con campos)'),
  401: errorResponse('Falta la credencial (NO_AUTORIZADO)'),
  403: errorResponse('Rol o sucursal no autorizados'),
};
const onAdvisor = { ...refusals, 404: errorResponse('No existe el asesor (ASESOR_NO_ENCONTRADO)'), 409: errorResponse('El piso no lo permite ahora') };
/** What the floor's actions answer: the advisor afterwards, or the result of the action. */
const FloorAnswer = z.looseObject({}).openapi('ResultadoDelPiso');
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const floorAction = (conflicts = 'El piso no lo permite ahora (TRANSICION_INVALIDA)') => ({
  security,
  middleware: [jsonBody()],
  responses: { 200: jsonResponse('El asesor (con floorState, currentTicket.stage, recallCount) o el resultado de la acción', FloorAnswer), ...onAdvisor, 409: errorResponse(conflicts) },
});

/**
 * Supervisor API (SPEC §7): reads come from SupervisionService, actions from the FloorService.
 * Who may call what is decided before these handlers, from src/http/authz/route-permissions.ts;
 * every request is checked by its route's schema (src/http/schemas), which also documents it.
 */
export function adminRoutes({ advisors, floor, supervision, defaultBranch, trustProxy }: AdminRoutesDeps): OpenAPIHono {
  const app = openApiRouter();
  /**
   * The dashboard's branch: the one named, else the default — or, for a principal held to branches
   * that do not include it, the first of theirs (the route table checked a named one).
   */
  const dashboardBranch = (c: Context, named: string | null): string => {
    if (named) return named;
    const principal = c.get('principal');
    const own = principal && principal.branches !== 'ALL' ? principal.branches : null;
    return own?.length && !own.includes(defaultBranch) ? own[0]! : defaultBranch;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dashboard',
      summary: 'Tickets por estado, filas (espera, estimación, promedios, nivel de servicio, tasas de no presentación y anulación), asesores, alertas y salud de los trabajos',
      security,
      request: { query: BranchQuery },
      responses: { 200: jsonResponse('Panel de la sucursal', DashboardSchema), ...refusals },
    }),
    async (c) => c.json(await supervision.dashboard(dashboardBranch(c, c.req.valid('query').branchOffice)), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/dashboard/history',
      summary: 'Cuántos esperaban en cada fila durante el día de la sucursal, cada 15 minutos (el gráfico del panel)',
      security,
      request: { query: BranchQuery },
      responses: { 200: jsonResponse('La espera del día', HistorySchema), ...refusals },
    }),
    async (c) => {
      const branch = dashboardBranch(c, c.req.valid('query').branchOffice);
      return c.json({ branchOffice: branch, history: await supervision.waitingOverDay(branch) }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/summary', summary: 'Todas las sucursales y la red', security, responses: { 200: jsonResponse('Resumen', SummarySchema), ...refusals } }),
    async (c) => c.json(await supervision.summary(), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/queues/{type}',
      summary: 'La fila de espera en orden (RUT enmascarado)',
      security,
      request: { params: QueueTypeParams, query: BranchQuery },
      responses: { 200: jsonResponse('Fila', z.looseObject({})), ...refusals },
    }),
    async (c) => c.json(await supervision.waitingLine(c.req.valid('query').branchOffice ?? defaultBranch, c.req.valid('param').type), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/queues/{type}/stats',
      summary: 'Cifras del día de una fila',
      security,
      request: { params: QueueTypeParams, query: BranchQuery },
      responses: { 200: jsonResponse('Cifras', QueueStatsSchema), ...refusals },
    }),
    async (c) => {
      const branch = c.req.valid('query').branchOffice ?? defaultBranch;
      const [figures] = await supervision.queueFigures(branch, c.req.valid('param').type);
      return c.json({ branchOffice: branch, ...figures!, alerts: supervision.alertsFor(branch, [figures!]) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/advisors',
      summary: 'Asesores activos (con includeInactive=true también los desactivados)',
      security,
      request: { query: AdvisorListQuery },
      responses: { 200: jsonResponse('Asesores', z.object({ advisors: z.array(AdvisorViewSchema) })), ...refusals },
    }),
    async (c) => {
      const { branchOffice, includeInactive } = c.req.valid('query');
      return c.json({ advisors: await advisors.list(branchOffice ?? undefined, { includeInactive: includeInactive === 'true' }) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/advisors/stats',
      summary: 'Asesores con sus cifras del día',
      security,
      request: { query: BranchQuery },
      responses: { 200: jsonResponse('Asesores', z.object({ advisors: z.array(AdvisorViewSchema) })), ...refusals },
    }),
    async (c) => c.json({ advisors: await supervision.advisorStats(c.req.valid('query').branchOffice ?? defaultBranch) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/advisors/{id}/status',
      summary: 'Cambia el estado de un asesor, con motivo',
      request: { params: AdvisorParams, body: { required: true, ...json(StatusBody) } },
      ...floorAction('TRANSICION_INVALIDA (p. ej. OFFLINE mientras atiende)'),
    }),
    async (c) => {
      const { status, reason } = c.req.valid('json');
      return c.json(await floor.setStatus(c.req.valid('param').id, status, reason, requestOrigin(c, trustProxy)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/advisors/{id}/complete-ticket',
      summary: 'Termina la atención actual: COMPLETADO (por omisión, también sin cuerpo) o NO_ATENDIDO',
      request: { params: AdvisorParams, body: { required: false, ...json(OutcomeBody) } },
      ...floorAction('TRANSICION_INVALIDA (sin cliente)'),
      middleware: [jsonBody({ optional: true })],
    }),
    async (c) => {
      // Without a body the validator hands over {}: the schema's default applies.
      const { outcome } = OutcomeBody.parse(c.req.valid('json'));
      return c.json(await floor.finishCurrent(c.req.valid('param').id, outcome, requestOrigin(c, trustProxy)), 200);
    },
  );
  // The service floor (SPEC §12): the same actions as the advisor's desk.
  app.openapi(
    createRoute({ method: 'post', path: '/advisors/{id}/arrived', summary: 'Llegó: el cliente llamado está en el módulo; empieza la atención', request: { params: AdvisorParams }, ...floorAction('TRANSICION_INVALIDA (sin cliente, ya confirmado)'), middleware: [] }),
    async (c) => c.json(await floor.arrived(c.req.valid('param').id, requestOrigin(c, trustProxy)), 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/advisors/{id}/recall', summary: 'Volver a llamar (antes de la llegada; RECALL_MAX llamados en total, RECALL_MIN_INTERVAL_S entre ellos)', request: { params: AdvisorParams }, ...floorAction('TRANSICION_INVALIDA (ya llegó), LLAMADOS_AGOTADOS, RELLAMADO_MUY_PRONTO (reintentarEnSegundos)'), middleware: [] }),
    async (c) => c.json(await floor.recall(c.req.valid('param').id, requestOrigin(c, trustProxy)), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/advisors/{id}/transfer',
      summary: 'Transferir al cliente actual a otra fila (mismo número) o a un asesor; keepPlace conserva su lugar por hora de llegada',
      request: { params: AdvisorParams, body: { required: true, ...json(TransferBody) } },
      ...floorAction('TRANSICION_INVALIDA (sin cliente), COLA_NO_DISPONIBLE (la sucursal no atiende esa fila, o es la misma)'),
    }),
    async (c) => c.json(await floor.transfer(c.req.valid('param').id, c.req.valid('json'), requestOrigin(c, trustProxy)), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/advisors/{id}/call',
      summary: 'Llamar un número fuera de orden (desde una pausa o libre), con motivo; auditado TICKET_LLAMADO_FUERA_DE_ORDEN',
      request: { params: AdvisorParams, body: { required: true, ...json(CallOutOfOrderBody) } },
      ...floorAction('TRANSICION_INVALIDA (tiene un cliente o está desconectado), TICKET_NO_DISPONIBLE (ya no espera, u otro asesor lo llamó)'),
    }),
    async (c) => {
      const { numero, reason } = c.req.valid('json');
      return c.json(await floor.callOutOfOrder(c.req.valid('param').id, numero, reason, requestOrigin(c, trustProxy)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/advisors/{id}/link-code',
      summary: 'Un código de un solo uso para vincular el Telegram del asesor (/vincular CÓDIGO)',
      security,
      request: { params: AdvisorParams },
      responses: {
        201: jsonResponse('Código creado', z.looseObject({ advisorId: z.number().int(), name: z.string(), code: z.string(), instrucciones: z.string() })),
        ...onAdvisor,
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const advisor = await advisors.get(id);
      const link = await advisors.createLinkCode(id);
      return c.json({ advisorId: advisor.id, name: advisor.name, ...link, instrucciones: `Envía /vincular ${link.code} al bot` }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      summary: 'La auditoría, con filtros y paginación por before/nextBefore',
      security,
      request: { query: AuditQuery },
      responses: { 200: jsonResponse('Página de la auditoría', z.object({ items: z.array(z.looseObject({})), nextBefore: z.number().int().nullable() })), ...refusals },
    }),
    async (c) => c.json(await supervision.audit(c.req.valid('query')), 200),
  );

  return app;
}
