import { Hono } from 'hono';
import { QUEUES } from '../../domain/queue-types.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import type { Assets } from '../assets.js';

/** The tótem's page (SPEC §19): public HTML; everything it shows comes through the kiosk credential. */
export function totemPageRoutes(deps: { assets: Assets }): Hono {
  const app = new Hono();
  app.get('/', (c) => deps.assets.serve(c, 'totem.html'));
  return app;
}

/**
 * What the tótem's start and queue screens read: its branch and the queues with people waiting and
 * the estimate a newcomer would get. A wrong or revoked credential is a 401 here, so the page says
 * "Tótem no autorizado" before anyone types a RUT. A kiosk device (SPEC §17) shows its own branch;
 * an all-branches key (KIOSK_API_KEY) the default one.
 */
export function totemApiRoutes(deps: { supervision: SupervisionService; defaultBranch: string; now: () => Date }): Hono {
  const app = new Hono();
  app.get('/estado', async (c) => {
    const principal = c.get('principal');
    const branch = principal && principal.branches !== 'ALL' && principal.branches.length > 0 ? principal.branches[0]! : deps.defaultBranch;
    const [figures, zonaHoraria] = await Promise.all([deps.supervision.queueFigures(branch), deps.supervision.zoneOf(branch)]);
    return c.json({
      sucursal: branch,
      // The branch's own zone (SPEC §17): the tótem's clock shows the branch's time, whatever the kiosk's OS says.
      zonaHoraria,
      // The device's name, for whoever installs it ("Tótem entrada"); null for a key or token.
      dispositivo: principal?.kind === 'device' ? principal.name : null,
      hora: deps.now().toISOString(),
      colas: figures.map((f) => ({
        queueType: f.queueType,
        nombre: QUEUES[f.queueType].label,
        enEspera: f.waiting,
        esperaEstimadaMinutos: f.estimatedWaitMinutes,
      })),
    });
  });
  return app;
}
