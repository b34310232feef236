import { Hono, type Context } from 'hono';
import { DomainError, hasControlCharacters, ValidationError } from '../../errors.js';
import { mayTouchBranch, type Principal } from '../../modules/accounts/principal.js';
import type { StaffService } from '../../modules/advisors/staff.service.js';
import type { BranchAdminService } from '../../modules/branches/branch-admin.service.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { parseId } from '../schemas/params.js';

function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('NO_AUTORIZADO', 'Inicia sesión');
  return principal;
}

/** A SUPERVISOR acts only on their branches (SPEC §18); the route table lets only ADMIN and SUPERVISOR here. */
function branchGuard(principal: Principal): (branchName: string) => void {
  return (branchName) => {
    if (!mayTouchBranch(principal, branchName)) throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'No tienes acceso a esa sucursal');
  };
}

/** Text from the URL: a control character (PostgreSQL refuses a NUL outright) is the client's error, not a 500. */
function textParam(value: string, name: string): string {
  if (hasControlCharacters(value)) throw new ValidationError({ [name]: 'No admite caracteres de control' });
  return value;
}

function booleanQuery(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ValidationError({ [name]: 'Debe ser true o false' });
}

/**
 * The organisation as data (SPEC §17): branches (`/api/admin/branches`, ADMIN; a SUPERVISOR reads
 * theirs) and staff (`/api/admin/advisors`, ADMIN or a SUPERVISOR of the advisor's branch). The
 * route table (src/http/authz/route-permissions.ts) decides roles; the branch of a body or a move is
 * checked here, as the accounts' routes do.
 */
export function organisationRoutes({ branches, staff, trustProxy }: { branches: BranchAdminService; staff: StaffService; trustProxy: boolean }): Hono {
  const app = new Hono();

  app.get('/branches', async (c) => {
    const principal = principalOf(c);
    const list = await branches.list({
      ...(c.req.query('q') ? { q: textParam(c.req.query('q')!, 'q') } : {}),
      ...(booleanQuery(c.req.query('active'), 'active') !== undefined ? { active: booleanQuery(c.req.query('active'), 'active')! } : {}),
      ...(principal.branches === 'ALL' ? {} : { names: principal.branches }),
    });
    return c.json({ branches: list, total: list.length });
  });

  app.post('/branches', async (c) => c.json(await branches.create(await readJsonBody(c), requestOrigin(c, trustProxy)), 201));

  app.get('/branches/:code', async (c) => {
    const branch = await branches.get(textParam(c.req.param('code'), 'code'));
    branchGuard(principalOf(c))(branch.name);
    return c.json(branch);
  });

  app.patch('/branches/:code', async (c) =>
    c.json(await branches.update(textParam(c.req.param('code'), 'code'), await readJsonBody(c), requestOrigin(c, trustProxy))),
  );

  app.post('/advisors', async (c) => {
    const principal = principalOf(c);
    return c.json(await staff.create(await readJsonBody(c), requestOrigin(c, trustProxy), branchGuard(principal)), 201);
  });

  app.patch('/advisors/:id', async (c) => {
    const principal = principalOf(c);
    const id = parseId(c.req.param('id'));
    return c.json(await staff.update(id, await readJsonBody(c), requestOrigin(c, trustProxy), branchGuard(principal)));
  });

  app.delete('/advisors/:id', async (c) => c.json(await staff.deactivate(parseId(c.req.param('id')), requestOrigin(c, trustProxy))));

  app.post('/advisors/:id/reactivate', async (c) =>
    c.json(await staff.reactivate(parseId(c.req.param('id')), requestOrigin(c, trustProxy))),
  );

  return app;
}
