import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DomainError } from '../../errors.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import type { ScreenHub } from '../screen-hub.js';

/** How long the list of branches a screen may show is reused (a new branch is found by then). */
const BRANCH_LIST_TTL_MS = 5000;

/** The waiting-room screen (no key, read-only, no personal data) and its live stream. */
export function screenRoutes(deps: {
  hub: ScreenHub;
  assets: Assets;
  supervision: SupervisionService;
  defaultBranch: string;
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
