import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { ValidationError } from '../../errors.js';
import { ADVISOR_STATUSES, type AdvisorStatus } from '../../modules/advisors/advisor.entity.js';
import type { FloorService } from '../../modules/floor/floor.service.js';
import { parseCallOutOfOrder, parseTransfer } from '../../modules/floor/floor.validation.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import type { StaffPlanService } from '../../modules/staff-plan/staff-plan.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';

export interface SupervisorWebDeps {
  supervision: SupervisionService;
  floor: FloorService;
  assets: Assets;
  defaultBranch: string;
  trustProxy: boolean;
  now: () => Date;
  /** SPEC §13: advisors' planned hours, edited from the page. */
  staffPlan?: StaffPlanService;
}

/** ECharts (SPEC §20: served by the app from node_modules, no CDN), read once on first use. */
let echarts: { body: Uint8Array<ArrayBuffer>; etag: string } | null = null;
function echartsScript(): { body: Uint8Array<ArrayBuffer>; etag: string } {
  if (!echarts) {
    const body = readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'));
    echarts = { body: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer), etag: `"echarts-${body.length}"` };
  }
  return echarts;
}

/**
 * The supervisor's live dashboard (SPEC RF-007): people sign in at /ingresar with their own
 * account (SPEC §18); the page reads the dashboard every 5 s and acts on advisors. Who may see
 * which branch and act on which desk is decided by the route table; writes also require a custom
 * header, which a cross-site form cannot send.
 */
export function supervisorWebRoutes(deps: SupervisorWebDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const principal = c.get('principal');
    if (!principal || principal.kind !== 'staff') return c.redirect('/ingresar?volver=/supervisor', 303);
    if (principal.mustChangePassword || principal.mustEnrolTotp || principal.mustVerifyTotp) return c.redirect('/ingresar?volver=/supervisor', 303);
    if (principal.role === 'ASESOR') return c.redirect('/escritorio', 303);
    return deps.assets.serve(c, 'supervisor.html');
  });

  // SPEC §20: the reports page, for whoever may read reports (ADMIN and AUDITOR see the nation too).
  app.get('/reportes', (c) => {
    const principal = c.get('principal');
    if (!principal || principal.kind !== 'staff') return c.redirect('/ingresar?volver=/supervisor/reportes', 303);
    if (principal.mustChangePassword || principal.mustEnrolTotp || principal.mustVerifyTotp) return c.redirect('/ingresar?volver=/supervisor/reportes', 303);
    if (principal.role === 'ASESOR') return c.redirect('/escritorio', 303);
    return deps.assets.serve(c, 'reportes.html');
  });

  app.get('/vendor/echarts.min.js', (c) => {
    const script = echartsScript();
    if (c.req.header('if-none-match') === script.etag) return c.body(null, 304);
    return c.body(script.body, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=86400',
      ETag: script.etag,
      'X-Content-Type-Options': 'nosniff',
    });
  });

  app.get('/api/dashboard', async (c) => {
    const principal = c.get('principal');
    const own = principal && principal.branches !== 'ALL' ? principal.branches : null;
    // A SUPERVISOR sees their branches only; without ?branch= the first of them (the route table checked a named one).
    const branch = parseBranchOffice(c.req.query('branch')) ?? (own?.includes(deps.defaultBranch) === false ? own[0]! : deps.defaultBranch);
    const [dashboard, history, allBranches] = await Promise.all([
      deps.supervision.dashboard(branch),
      deps.supervision.waitingOverDay(branch),
      deps.supervision.branches(),
    ]);
    const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : null);
    const queues = dashboard.queues.map((q) => ({
      ...q,
      noShowRateToday: rate(q.noShowToday, q.calledToday),
      cancellationRateToday: rate(q.cancelledToday, q.createdToday),
    }));
    const branches = own ? allBranches.filter((b) => own.includes(b)) : allBranches;
    return c.json({ ...dashboard, queues, history, branches });
  });

  app.put('/api/advisors/:id/status', async (c) => {
    if (c.req.header('x-requested-with') !== 'ticketero') {
      return c.json({ error: 'PROHIBIDO', mensaje: 'Solicitud no permitida' }, 403);
    }
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError({ id: 'El id del asesor debe ser un entero positivo' });
    const body = await readJsonBody(c);
    const status = (body as { status?: unknown }).status;
    const reason = (body as { reason?: unknown }).reason;
    if (typeof status !== 'string' || !(ADVISOR_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError({ status: `El estado debe ser uno de: ${ADVISOR_STATUSES.join(', ')}` });
    }
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) {
      throw new ValidationError({ reason: 'El motivo debe ser texto de hasta 500 caracteres' });
    }
    const advisor = await deps.floor.setStatus(
      id,
      status as AdvisorStatus,
      typeof reason === 'string' && reason.trim() ? reason.trim() : null,
      requestOrigin(c, deps.trustProxy),
    );
    return c.json(advisor);
  });

  // The service floor's actions for an advisor (SPEC §12), from the page's buttons.
  app.post('/api/advisors/:id/:action', async (c) => {
    if (c.req.header('x-requested-with') !== 'ticketero') {
      return c.json({ error: 'PROHIBIDO', mensaje: 'Solicitud no permitida' }, 403);
    }
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError({ id: 'El id del asesor debe ser un entero positivo' });
    const origin = requestOrigin(c, deps.trustProxy);
    switch (c.req.param('action')) {
      case 'arrived':
        return c.json(await deps.floor.arrived(id, origin));
      case 'recall':
        return c.json(await deps.floor.recall(id, origin));
      case 'complete':
        return c.json(await deps.floor.finishCurrent(id, 'COMPLETADO', origin));
      case 'no-show':
        return c.json(await deps.floor.finishCurrent(id, 'NO_ATENDIDO', origin));
      case 'transfer':
        return c.json(await deps.floor.transfer(id, parseTransfer(await readJsonBody(c)), origin));
      case 'call': {
        const { numero, reason } = parseCallOutOfOrder(await readJsonBody(c));
        return c.json(await deps.floor.callOutOfOrder(id, numero, reason, origin));
      }
      default:
        return c.json({ error: 'NO_ENCONTRADO', mensaje: 'Acción desconocida' }, 404);
    }
  });

  // SPEC §13: the day's planned hours of an advisor (same rules as GET/PUT /api/admin/advisors/:id/plan).
  const staffPlan = deps.staffPlan;
  if (staffPlan) {
    const planId = (value: string) => {
      const id = Number(value);
      if (!/^\d{1,15}$/.test(value) || id < 1) throw new ValidationError({ id: 'El id del asesor debe ser un entero positivo' });
      return id;
    };
    app.get('/api/advisors/:id/plan', async (c) => c.json(await staffPlan.get(planId(c.req.param('id')), c.req.query('date'))));
    app.put('/api/advisors/:id/plan', async (c) => {
      if (c.req.header('x-requested-with') !== 'ticketero') {
        return c.json({ error: 'PROHIBIDO', mensaje: 'Solicitud no permitida' }, 403);
      }
      const id = planId(c.req.param('id'));
      const body = await readJsonBody(c);
      return c.json(await staffPlan.put(id, c.req.query('date'), body, requestOrigin(c, deps.trustProxy)));
    });
  }

  return app;
}
