import { Hono, type Context } from 'hono';
import { DomainError } from '../../errors.js';
import type { AccountRow, AccountService } from '../../modules/accounts/account.service.js';
import type { Principal } from '../../modules/accounts/principal.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { parseId } from '../schemas/params.js';

function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('NO_AUTORIZADO', 'Inicia sesión');
  return principal;
}

/** SPEC §18: a SUPERVISOR manages only ASESOR accounts of the branches granted to them. */
function assertManageable(principal: Principal, account: Pick<AccountRow, 'role' | 'branches'>): void {
  if (principal.role === 'ADMIN') return;
  if (account.role !== 'ASESOR') throw new DomainError('PROHIBIDO', 'Un SUPERVISOR solo administra cuentas ASESOR');
  const branches = principal.branches;
  if (branches !== 'ALL' && !account.branches.every((b) => branches.includes(b))) {
    throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'No tienes acceso a esa sucursal');
  }
}

/** Accounts and integration tokens (SPEC §18): `/api/admin/accounts`, `/api/admin/tokens`. */
export function accountRoutes({ accounts, trustProxy, advisorBranch }: {
  accounts: AccountService;
  trustProxy: boolean;
  advisorBranch(id: number): Promise<string | null>;
}): Hono {
  const app = new Hono();

  app.get('/accounts', async (c) => {
    const principal = principalOf(c);
    const list = await accounts.list({ branches: principal.branches });
    return c.json({ accounts: principal.role === 'ADMIN' ? list : list.filter((a) => a.role === 'ASESOR') });
  });

  app.post('/accounts', async (c) => {
    const principal = principalOf(c);
    const body = (await readJsonBody(c)) as Record<string, unknown>;
    if (principal.role !== 'ADMIN') {
      const advisorId = Number(body?.advisorId);
      const branch = Number.isSafeInteger(advisorId) && advisorId > 0 ? await advisorBranch(advisorId) : null;
      assertManageable(principal, { role: body?.role === 'ASESOR' ? 'ASESOR' : 'ADMIN', branches: branch ? [branch] : ['?'] });
    }
    const { account, initialPassword } = await accounts.create(body as never, requestOrigin(c, trustProxy));
    return c.json({ ...account, initialPassword, aviso: 'La clave inicial se muestra una sola vez; se cambia al primer ingreso' }, 201);
  });

  app.patch('/accounts/:id', async (c) => {
    const principal = principalOf(c);
    const id = parseId(c.req.param('id'));
    const body = await readJsonBody(c);
    if (principal.role !== 'ADMIN') {
      assertManageable(principal, await accounts.get(id));
      if (typeof body === 'object' && body !== null && 'role' in body) throw new DomainError('PROHIBIDO', 'Un SUPERVISOR no cambia roles');
    }
    return c.json(await accounts.update(id, body, requestOrigin(c, trustProxy)));
  });

  app.delete('/accounts/:id', async (c) => {
    const principal = principalOf(c);
    const id = parseId(c.req.param('id'));
    if (principal.role !== 'ADMIN') assertManageable(principal, await accounts.get(id));
    return c.json(await accounts.deactivate(id, requestOrigin(c, trustProxy)));
  });

  app.post('/accounts/:id/revoke-sessions', async (c) => {
    const principal = principalOf(c);
    const id = parseId(c.req.param('id'));
    if (principal.role !== 'ADMIN') assertManageable(principal, await accounts.get(id));
    return c.json(await accounts.revokeSessions(id, requestOrigin(c, trustProxy)));
  });

  app.get('/tokens', async (c) => c.json({ tokens: await accounts.listTokens() }));
  app.post('/tokens', async (c) => {
    const created = await accounts.createToken(await readJsonBody(c), requestOrigin(c, trustProxy));
    return c.json({ ...created, aviso: 'El token se muestra una sola vez' }, 201);
  });
  app.delete('/tokens/:id', async (c) => {
    await accounts.revokeToken(parseId(c.req.param('id')), requestOrigin(c, trustProxy));
    return c.json({ ok: true });
  });

  return app;
}
