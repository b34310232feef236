import { Hono, type Context } from 'hono';
import { ValidationError } from '../../errors.js';
import type { PersonalDataService } from '../../modules/privacy/personal-data.service.js';
import { requestOrigin } from '../middleware/principal.js';

export const MIN_MOTIVO_LENGTH = 10;

/** SPEC §18: why a person's data is read or erased, at least 10 characters, kept in the audit. */
function motivoOf(c: Context): string {
  const motivo = c.req.query('motivo')?.trim() ?? '';
  if (motivo.length < MIN_MOTIVO_LENGTH || motivo.length > 500) {
    throw new ValidationError({ motivo: `Indica el motivo (?motivo=…), de ${MIN_MOTIVO_LENGTH} a 500 caracteres` });
  }
  return motivo;
}

/**
 * The holder's rights through the supervisor API (SPEC §14): export and erasure by RUT.
 * Both are audited (DATOS_EXPORTADOS / DATOS_ELIMINADOS) with the RUT masked, who did it and why.
 * Who may (ADMIN, or a SUPERVISOR of a branch where the person has a ticket, TOTP-verified) is
 * decided from the route table.
 */
export function personasRoutes(deps: { personas: PersonalDataService; trustProxy: boolean }): Hono {
  const app = new Hono();
  app.get('/:rut', async (c) => {
    const motivo = motivoOf(c);
    return c.json(await deps.personas.exportPerson(c.req.param('rut'), { ...requestOrigin(c, deps.trustProxy), motivo }));
  });
  app.delete('/:rut', async (c) => {
    const motivo = motivoOf(c);
    return c.json(await deps.personas.erasePerson(c.req.param('rut'), { ...requestOrigin(c, deps.trustProxy), motivo }));
  });
  return app;
}
