import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DomainError, ValidationError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import type { AdvisorService } from '../../modules/advisors/advisor.service.js';
import type { FloorService } from '../../modules/floor/floor.service.js';
import { parseCallOutOfOrder, parseTransfer } from '../schemas/floor.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import type { Assets } from '../assets.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { clientIp } from '../middleware/request-context.js';
import { SseOutbox, socketDestroyer, tooManyStreams, type StreamLimiter } from '../sse.js';

export interface DeskDeps {
  advisors: AdvisorService;
  floor: FloorService;
  supervision: SupervisionService;
  events: EventBus;
  assets: Assets;
  pauseReasons: readonly string[];
  trustProxy: boolean;
  /** SPEC §22: the live streams' caps, shared with the screens. */
  streams: StreamLimiter;
  /** How often an open desk re-reads its state when nothing happened here (changes made by other instances). */
  refreshMs?: number;
}

/** The ASESOR's own desk: the route table lets only ASESOR accounts in; the desk is the one linked to them. */
function advisorIdOf(c: Context): number {
  const advisorId = c.get('principal')?.advisorId ?? null;
  if (advisorId === null) throw new DomainError('PROHIBIDO', 'Tu cuenta no está vinculada a un escritorio');
  return advisorId;
}

/**
 * The advisor's web desk (SPEC §18): `/escritorio`. The current customer, the floor's actions and
 * the branch's line, live by SSE; every action goes through the same FloorService as the bot's
 * /panel and the supervisor's page, audited as the person (`staff:<id>`).
 */
export function deskRoutes(deps: DeskDeps): Hono {
  const app = new Hono();
  const refreshMs = deps.refreshMs ?? 5000;
  // One listener for every open desk: a domain event here bumps the version, each desk re-reads.
  let version = 0;
  deps.events.onAny(() => {
    version++;
  });

  const state = async (advisorId: number) => {
    const advisor = await deps.advisors.get(advisorId);
    const [waiting, colleagues] = await Promise.all([
      deps.supervision.waitingNumbers(advisor.branchOffice, advisor.queueTypes, 16),
      deps.advisors.list(advisor.branchOffice),
    ]);
    return {
      advisor,
      line: { branchOffice: advisor.branchOffice, waiting },
      pauseReasons: deps.pauseReasons,
      colleagues: colleagues.filter((a) => a.id !== advisor.id && a.status !== 'OFFLINE').map((a) => ({ id: a.id, name: a.name })),
      queues: [...new Set(colleagues.flatMap((a) => a.queueTypes))],
    };
  };

  app.get('/', (c) => {
    const principal = c.get('principal');
    if (!principal || principal.kind !== 'staff' || principal.mustChangePassword || principal.mustEnrolTotp || principal.mustVerifyTotp) {
      return c.redirect('/ingresar?volver=/escritorio', 303);
    }
    if (principal.role !== 'ASESOR') return c.redirect('/supervisor', 303);
    return deps.assets.serve(c, 'escritorio.html');
  });

  app.get('/api/estado', async (c) => c.json(await state(advisorIdOf(c))));

  app.get('/api/stream', (c) => {
    const advisorId = advisorIdOf(c);
    // SPEC §22: capped like the screens' streams (per client IP and in total), or 503.
    const release = deps.streams.acquire(`escritorio:${clientIp(c, deps.trustProxy) ?? '?'}`);
    if (!release) return tooManyStreams(c, deps.streams);
    const destroy = socketDestroyer(c);
    return streamSSE(c, async (stream) => {
      stream.onAbort(release);
      // Queued, never awaited: a desk that stops reading is dropped instead of piling up its states.
      const outbox = new SseOutbox(stream, { maxQueued: 8, destroy });
      try {
        let last = '';
        let seen = -1;
        let sinceRead = 0;
        while (!outbox.closed) {
          if (seen !== version || sinceRead >= refreshMs) {
            seen = version;
            sinceRead = 0;
            const now = JSON.stringify(await state(advisorId));
            if (now !== last) {
              last = now;
              outbox.send({ event: 'estado', data: now, retry: 2000 });
            }
          }
          await stream.sleep(250);
          sinceRead += 250;
        }
      } finally {
        release();
      }
    });
  });

  app.post('/api/:action', async (c) => {
    const advisorId = advisorIdOf(c);
    const origin = requestOrigin(c, deps.trustProxy);
    const body = async (): Promise<Record<string, unknown>> => {
      const value = await readJsonBody(c);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
      return value as Record<string, unknown>;
    };
    switch (c.req.param('action')) {
      case 'llego':
        await deps.floor.arrived(advisorId, origin);
        break;
      case 'volver-a-llamar':
        await deps.floor.recall(advisorId, origin);
        break;
      case 'completar':
        await deps.floor.finishCurrent(advisorId, 'COMPLETADO', origin);
        break;
      case 'no-se-presento':
        await deps.floor.finishCurrent(advisorId, 'NO_ATENDIDO', origin);
        break;
      case 'transferir':
        await deps.floor.transfer(advisorId, parseTransfer(await body()), origin);
        break;
      case 'llamar': {
        const { numero, reason } = parseCallOutOfOrder(await body());
        await deps.floor.callOutOfOrder(advisorId, numero, reason, origin);
        break;
      }
      case 'pausa': {
        const reason = (await body()).reason;
        if (typeof reason !== 'string' || !deps.pauseReasons.includes(reason)) {
          throw new ValidationError({ reason: `El motivo debe ser uno de: ${deps.pauseReasons.join(', ')}` });
        }
        await deps.floor.setStatus(advisorId, 'BUSY', reason, origin);
        break;
      }
      case 'disponible':
        await deps.floor.setStatus(advisorId, 'AVAILABLE', null, origin);
        break;
      case 'desconectado':
        await deps.floor.setStatus(advisorId, 'OFFLINE', null, origin);
        break;
      case 'vincular-telegram': {
        // SPEC §18: advisors link their own Telegram: a one-time code for /vincular in the bot.
        const link = await deps.advisors.createLinkCode(advisorId);
        return c.json({ ...link, instrucciones: `Envía /vincular ${link.code} al bot de Ticketero` }, 201);
      }
      default:
        return c.json({ error: 'NO_ENCONTRADO', mensaje: 'Acción desconocida' }, 404);
    }
    return c.json(await state(advisorId));
  });

  return app;
}
