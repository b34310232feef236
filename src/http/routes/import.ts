import { Hono, type Context } from 'hono';
import { DomainError, ValidationError } from '../../errors.js';
import type { ImportService } from '../../modules/import/import.service.js';
import { requestOrigin } from '../middleware/principal.js';

/** The import's own body limit (SPEC §17: 1,000 branches and 5,000 people are well under 2 MB). */
export const MAX_IMPORT_BODY_BYTES = 10 * 1024 * 1024;

function flag(c: Context, name: string): boolean {
  const value = c.req.query(name);
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ValidationError({ [name]: 'Debe ser true o false' });
}

async function fileText(value: unknown, field: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new ValidationError({ [field]: 'Envía un solo archivo' });
  const text = typeof value === 'string' ? value : value instanceof Blob ? await value.text() : undefined;
  if (text === undefined) throw new ValidationError({ [field]: 'Debe ser un archivo CSV' });
  return text;
}

/**
 * `POST /api/admin/import` (SPEC §17): multipart with `branches` and/or `staff` (CSV files),
 * `?dryRun=true` to only report, `?deactivateMissing=true` to deactivate what the files omit. ADMIN
 * only (route table). A dry run answers 200 with the report (bad lines included); a real run with
 * bad lines writes nothing and answers 422 IMPORTACION_CON_ERRORES with the same report.
 */
export function importRoutes({ imports, trustProxy }: { imports: ImportService; trustProxy: boolean }): Hono {
  const app = new Hono();
  app.post('/import', async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!/^multipart\/form-data\b/i.test(type)) {
      throw new DomainError('TIPO_CONTENIDO_NO_SOPORTADO', 'Envía los archivos como multipart/form-data (campos branches y staff)');
    }
    const dryRun = flag(c, 'dryRun');
    const deactivateMissing = flag(c, 'deactivateMissing');
    let body: Record<string, unknown>;
    try {
      body = await c.req.parseBody({ all: true });
    } catch {
      throw new ValidationError({ cuerpo: 'El cuerpo multipart no es válido' });
    }
    const unknown = Object.keys(body).filter((k) => k !== 'branches' && k !== 'staff');
    if (unknown.length) throw new ValidationError(Object.fromEntries(unknown.slice(0, 5).map((k) => [k.slice(0, 50), 'Campo no permitido: se esperan branches y staff'])));
    const branches = await fileText(body.branches, 'branches');
    const staff = await fileText(body.staff, 'staff');
    const report = await imports.run({
      ...(branches !== undefined ? { branches } : {}),
      ...(staff !== undefined ? { staff } : {}),
      dryRun,
      deactivateMissing,
      origin: requestOrigin(c, trustProxy),
    });
    if (!dryRun && report.errores.length) {
      return c.json(
        { error: 'IMPORTACION_CON_ERRORES', mensaje: `El archivo tiene ${report.errores.length} error(es): no se importó nada`, ...report },
        422,
      );
    }
    return c.json(report);
  });
  return app;
}
