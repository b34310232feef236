import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DomainError } from '../../errors.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import type { ScreenHub } from '../screen-hub.js';
import { clientIp } from '../middleware/request-context.js';
import { SseOutbox, socketDestroyer, tooManyStreams, type OutboxOptions, type StreamLimiter } from '../sse.js';
import type { Logger } from '../../logger.js';

/** How long the list of branches a screen may show is reused (a new branch is found by then). */
const BRANCH_LIST_TTL_MS = 5000;

/** The waiting-room screen (no key, read-only, no personal data) and its live stream. */
export function screenRoutes(deps: {
  hub: ScreenHub;
  assets: Assets;
  supervision: SupervisionService;
  defaultBranch: string;
  /** SPEC §22: the live streams' caps, shared with the desks. */
  streams: StreamLimiter;
  trustProxy: boolean;
  logger: Logger;
  /** Each stream's bounded queue (tests make it small). */
  outbox?: Pick<OutboxOptions, 'maxQueued' | 'writeTimeoutMs'>;
}): Hono {
  const app = new Hono();
  // Only real branches: a stream per invented name would cost a query a second each. The list is
  // read once for every screen that connects within a few seconds (a deploy reconnects them all at once).
  let known: { at: number; branches: Promise<string[]> } | null = null;
  const knownBranches = (fresh = false): Promise<string[]> => {
    const now = Date.now();
    if (fresh || !known || now - known.at > BRANCH_LIST_TTL_MS) {
      const read = deps.supervision.branches();
      known = { at: now, branches: read };
      read.catch(() => (known = null));
    }
    return known.branches;
  };
  const branchOf = async (value: string | undefined): Promise<string> => {
    const branch = parseBranchOffice(value) ?? deps.defaultBranch;
    // A name not in the list read a moment ago is looked up afresh (a branch just created).
    if (!(await knownBranches()).includes(branch) && !(await knownBranches(true)).includes(branch)) {
      throw new DomainError('NO_ENCONTRADO', `No existe la sucursal "${branch}"`);
    }
    return branch;
  };

  app.get('/', async (c) => {
    await branchOf(c.req.query('branch'));
    return deps.assets.serve(c, 'pantalla.html');
  });

  app.get('/stream', async (c) => {
    const branch = await branchOf(c.req.query('branch'));
    // SPEC §22: a place among the capped streams first (per client IP and in total), or 503.
    const release = deps.streams.acquire(`pantalla:${clientIp(c, deps.trustProxy) ?? '?'}`);
    if (!release) return tooManyStreams(c, deps.streams);
    const destroy = socketDestroyer(c);
    return streamSSE(c, async (stream) => {
      let leave: (() => void) | null = null;
      try {
        let id = 0;
        const outbox = new SseOutbox(stream, {
          ...deps.outbox,
          destroy,
          onDrop: (why) => deps.logger.info({ branch, why }, 'pantalla desconectada: no leía sus eventos'),
        });
        stream.onAbort(release);
        leave = await deps.hub.join(branch, {
          send: (event, data) => void outbox.send({ event, data: JSON.stringify(data), id: String(++id), retry: 1000 }),
        });
        stream.onAbort(leave);
        // Comments keep proxies from closing an idle stream; the loop ends when the screen goes away,
        // falls behind (dropped by its outbox) or the server shuts down (the screen then reconnects).
        let idle = 0;
        while (!outbox.closed && !deps.hub.stopped) {
          await stream.sleep(1000);
          if (++idle % 15 === 0) outbox.comment('ping');
        }
      } catch (error) {
        deps.logger.warn({ err: error, branch }, 'no se pudo mantener la transmisión de una pantalla');
      } finally {
        leave?.();
        release();
      }
    });
  });

  return app;
}
