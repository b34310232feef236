import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DomainError } from '../../errors.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import type { ScreenHub } from '../screen-hub.js';

/** The waiting-room screen (no key, read-only, no personal data) and its live stream. */
export function screenRoutes(deps: {
  hub: ScreenHub;
  assets: Assets;
  supervision: SupervisionService;
  defaultBranch: string;
}): Hono {
  const app = new Hono();
  // Only real branches: a stream per invented name would cost a query a second each.
  const branchOf = async (value: string | undefined): Promise<string> => {
    const branch = parseBranchOffice(value) ?? deps.defaultBranch;
    if (!(await deps.supervision.branches()).includes(branch)) {
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
    return streamSSE(c, async (stream) => {
      let id = 0;
      const leave = await deps.hub.join(branch, {
        send: (event, data) => stream.writeSSE({ event, data: JSON.stringify(data), id: String(++id), retry: 1000 }),
      });
      stream.onAbort(leave);
      // Comments keep proxies from closing an idle stream; the loop ends when the screen goes away
      // or the server shuts down (the screen then reconnects, to this instance or another).
      let idle = 0;
      while (!stream.aborted && !stream.closed && !deps.hub.stopped) {
        await stream.sleep(1000);
        if (++idle % 15 === 0 && !stream.aborted) await stream.write(': ping\n\n');
      }
      leave();
    });
  });

  return app;
}
