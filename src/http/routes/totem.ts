import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { QUEUE_TYPES, QUEUES } from '../../domain/queue-types.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import type { Assets } from '../assets.js';
import { errorResponse, jsonResponse, openApiRouter } from '../schemas/openapi-router.js';

/** What the tótem shows (SPEC §19). */
export const TotemStateSchema = z
  .strictObject({
    sucursal: z.string(),
    zonaHoraria: z.string().openapi({ description: 'Zona horaria IANA de la sucursal (p. ej. America/Santiago); el reloj del tótem la usa' }),
    dispositivo: z.string().nullable().openapi({ description: 'El nombre del dispositivo (SPEC §17); null con una clave o un token' }),
    hora: z.string().openapi({ format: 'date-time' }),
    colas: z.array(
      z.strictObject({
        queueType: z.enum(QUEUE_TYPES),
        nombre: z.string(),
        enEspera: z.number().int(),
        esperaEstimadaMinutos: z.number().int(),
      }),
    ),
  })
  .openapi('EstadoDelTotem');

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
export function totemApiRoutes(deps: { supervision: SupervisionService; defaultBranch: string; now: () => Date }): OpenAPIHono {
  const app = openApiRouter();
  const route = createRoute({
    method: 'get',
    path: '/estado',
    summary: 'Lo que muestra el tótem (SPEC §19): su sucursal y sus filas con personas en espera y la espera estimada',
    security: [{ kiosk: [] }],
    responses: { 200: jsonResponse('Sucursal y filas', TotemStateSchema), 401: errorResponse('Tótem no autorizado') },
  });
  app.openapi(route, async (c) => {
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
    }, 200);
  });
  return app;
}
