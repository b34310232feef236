import { Hono, type Context } from 'hono';
import { INSTANT_MESSAGE, parseInstant } from '../../domain/input-dates.js';
import { isQueueType, QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { fieldErrors, hasControlCharacters, ValidationError } from '../../errors.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import { ADVISOR_STATUSES, type AdvisorStatus } from '../../modules/advisors/advisor.entity.js';
import type { AdvisorService } from '../../modules/advisors/advisor.service.js';
import type { FloorService, ServiceOutcome } from '../../modules/floor/floor.service.js';
import { parseCallOutOfOrder, parseTransfer } from '../../modules/floor/floor.validation.js';
import { AUDIT_EVENTS } from '../../modules/audit/audit.service.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { parseId } from '../schemas/params.js';

export interface AdminRoutesDeps {
  advisors: AdvisorService;
  floor: FloorService;
  supervision: SupervisionService;
  defaultBranch: string;
  trustProxy: boolean;
}

/**
 * Supervisor API (SPEC §7): reads come from SupervisionService, actions from AdvisorService.
 * Who may call what is decided before these handlers, from src/http/authz/route-permissions.ts.
 */
export function adminRoutes({ advisors, floor, supervision, defaultBranch, trustProxy }: AdminRoutesDeps): Hono {
  const app = new Hono();
  const branchOf = (value: string | undefined): string => parseBranchOffice(value) ?? defaultBranch;
  /**
   * The dashboard's branch: the one named, else the default — or, for a principal held to branches
   * that do not include it, the first of theirs (the route table checked a named one).
   */
  const dashboardBranch = (c: Context): string => {
    const named = parseBranchOffice(c.req.query('branchOffice'));
    if (named) return named;
    const principal = c.get('principal');
    const own = principal && principal.branches !== 'ALL' ? principal.branches : null;
    return own?.length && !own.includes(defaultBranch) ? own[0]! : defaultBranch;
  };

  app.get('/dashboard', async (c) => c.json(await supervision.dashboard(dashboardBranch(c))));
  // How many waited in each queue through the branch's day, every 15 minutes (the page's chart).
  app.get('/dashboard/history', async (c) => {
    const branch = dashboardBranch(c);
    return c.json({ branchOffice: branch, history: await supervision.waitingOverDay(branch) });
  });
  app.get('/summary', async (c) => c.json(await supervision.summary()));

  app.get('/queues/:type', async (c) =>
    c.json(await supervision.waitingLine(branchOf(c.req.query('branchOffice')), queueTypeParam(c.req.param('type')))),
  );
  app.get('/queues/:type/stats', async (c) => {
    const branch = branchOf(c.req.query('branchOffice'));
    const queueType = queueTypeParam(c.req.param('type'));
    const [figures] = await supervision.queueFigures(branch, queueType);
    return c.json({ branchOffice: branch, ...figures!, alerts: supervision.alertsFor(branch, [figures!]) });
  });

  app.get('/advisors', async (c) => {
    const branch = c.req.query('branchOffice')?.trim();
    // SPEC §17: deactivated advisors are listed only when asked (?includeInactive=true).
    return c.json({ advisors: await advisors.list(branch ? branchOf(branch) : undefined, { includeInactive: c.req.query('includeInactive') === 'true' }) });
  });
  app.get('/advisors/stats', async (c) =>
    c.json({ advisors: await supervision.advisorStats(branchOf(c.req.query('branchOffice'))) }),
  );

  app.put('/advisors/:id/status', async (c) => {
    const id = parseId(c.req.param('id'));
    const { status, reason } = parseStatusChange(await readJsonBody(c));
    return c.json(await floor.setStatus(id, status, reason, requestOrigin(c, trustProxy)));
  });

  app.put('/advisors/:id/complete-ticket', async (c) => {
    const id = parseId(c.req.param('id'));
    const hasBody = Number(c.req.header('content-length') ?? '0') > 0 || c.req.header('transfer-encoding');
    const outcome = hasBody ? parseOutcome(await readJsonBody(c)) : 'COMPLETADO';
    return c.json(await floor.finishCurrent(id, outcome, requestOrigin(c, trustProxy)));
  });

  // The service floor (SPEC §12): the same actions as the advisor's /panel.
  app.post('/advisors/:id/arrived', async (c) =>
    c.json(await floor.arrived(parseId(c.req.param('id')), requestOrigin(c, trustProxy))),
  );
  app.post('/advisors/:id/recall', async (c) =>
    c.json(await floor.recall(parseId(c.req.param('id')), requestOrigin(c, trustProxy))),
  );
  app.post('/advisors/:id/transfer', async (c) => {
    const id = parseId(c.req.param('id'));
    const command = parseTransfer(await readJsonBody(c));
    return c.json(await floor.transfer(id, command, requestOrigin(c, trustProxy)));
  });
  app.post('/advisors/:id/call', async (c) => {
    const id = parseId(c.req.param('id'));
    const { numero, reason } = parseCallOutOfOrder(await readJsonBody(c));
    return c.json(await floor.callOutOfOrder(id, numero, reason, requestOrigin(c, trustProxy)));
  });

  app.post('/advisors/:id/link-code', async (c) => {
    const id = parseId(c.req.param('id'));
    const advisor = await advisors.get(id);
    const link = await advisors.createLinkCode(id);
    return c.json({ advisorId: advisor.id, name: advisor.name, ...link, instrucciones: `Envía /vincular ${link.code} al bot` }, 201);
  });

  app.get('/audit', async (c) => c.json(await supervision.audit(parseAuditQuery(c.req.query()))));

  return app;
}

function queueTypeParam(value: string): QueueType {
  const upper = value.toUpperCase();
  if (!isQueueType(upper)) throw new ValidationError({ type: `El tipo de cola debe ser uno de: ${QUEUE_TYPES.join(', ')}` });
  return upper;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseStatusChange(body: unknown): { status: AdvisorStatus; reason: string | null } {
  if (!isObject(body)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  for (const key of Object.keys(body)) if (key !== 'status' && key !== 'reason') campos[key.slice(0, 50)] = 'Campo no permitido';
  const { status, reason } = body;
  if (typeof status !== 'string' || !(ADVISOR_STATUSES as readonly string[]).includes(status)) {
    campos.status = `El estado debe ser uno de: ${ADVISOR_STATUSES.join(', ')}`;
  }
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > 500)) {
    campos.reason = 'El motivo debe ser texto de hasta 500 caracteres';
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { status: status as AdvisorStatus, reason: typeof reason === 'string' && reason.trim() ? reason.trim() : null };
}

function parseOutcome(body: unknown): ServiceOutcome {
  if (!isObject(body)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const outcome = body.outcome ?? 'COMPLETADO';
  if (outcome !== 'COMPLETADO' && outcome !== 'NO_ATENDIDO') {
    throw new ValidationError({ outcome: 'El resultado debe ser COMPLETADO o NO_ATENDIDO' });
  }
  return outcome;
}

function parseAuditQuery(query: Record<string, string>) {
  const campos = fieldErrors();
  const date = (name: 'from' | 'to'): Date | undefined => {
    const value = query[name];
    if (!value) return undefined;
    const parsed = parseInstant(value);
    if (!parsed) campos[name] = INSTANT_MESSAGE;
    return parsed ?? undefined;
  };
  const int = (name: 'limit' | 'before', max: number): number | undefined => {
    const value = query[name];
    if (!value) return undefined;
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < 1 || parsed > max) campos[name] = `Debe ser un entero entre 1 y ${max}`;
    return parsed;
  };
  const text = (name: 'entityType' | 'entityId' | 'eventType' | 'actor'): string | undefined => {
    const value = query[name]?.trim();
    if (value && value.length > (name === 'actor' ? 100 : 50)) campos[name] = `Admite hasta ${name === 'actor' ? 100 : 50} caracteres`;
    else if (value && hasControlCharacters(value)) campos[name] = 'No admite caracteres de control';
    return value || undefined;
  };
  const eventType = text('eventType');
  if (eventType && !(AUDIT_EVENTS as readonly string[]).includes(eventType)) {
    campos.eventType = `Debe ser uno de: ${AUDIT_EVENTS.join(', ')}`;
  }
  const result = {
    entityType: text('entityType'),
    entityId: text('entityId'),
    eventType,
    actor: text('actor'),
    from: date('from'),
    to: date('to'),
    limit: int('limit', 500) ?? 50,
    before: int('before', Number.MAX_SAFE_INTEGER),
  };
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return result;
}
