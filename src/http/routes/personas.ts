import { Hono, type MiddlewareHandler } from 'hono';
import type { PersonalDataService } from '../../modules/privacy/personal-data.service.js';
import { originOf } from '../middleware/request-context.js';

/**
 * The holder's rights through the supervisor API (SPEC §14): export and erasure by RUT.
 * Both are audited (DATOS_EXPORTADOS / DATOS_ELIMINADOS) with the RUT masked.
 */
export function personasRoutes(deps: { personas: PersonalDataService; trustProxy: boolean; auth: MiddlewareHandler }): Hono {
  const app = new Hono();
  app.use('*', deps.auth);
  app.get('/:rut', async (c) => c.json(await deps.personas.exportPerson(c.req.param('rut'), originOf(c, 'ADMIN', deps.trustProxy))));
  app.delete('/:rut', async (c) => c.json(await deps.personas.erasePerson(c.req.param('rut'), originOf(c, 'ADMIN', deps.trustProxy))));
  return app;
}
