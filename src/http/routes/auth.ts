import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { DomainError } from '../../errors.js';
import { SESSION_ABSOLUTE_HOURS, type AccountService } from '../../modules/accounts/account.service.js';
import type { Principal } from '../../modules/accounts/principal.js';
import type { Assets } from '../assets.js';
import { readJsonBody } from '../middleware/json-body.js';
import { plainLoopback, requestOrigin, SESSION_COOKIE } from '../middleware/principal.js';
import { originOf } from '../middleware/request-context.js';

export interface AuthRoutesDeps {
  accounts: AccountService;
  trustProxy: boolean;
}

function setSessionCookie(c: Context, token: string, trustProxy: boolean): void {
  const options = { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: SESSION_ABSOLUTE_HOURS * 3600 } as const;
  // `__Host-`: Secure, path /, no Domain; plain http on loopback cannot hold a Secure cookie.
  if (plainLoopback(c, trustProxy)) setCookie(c, SESSION_COOKIE, token, options);
  else setCookie(c, SESSION_COOKIE, token, { ...options, prefix: 'host', secure: true });
}

function clearSessionCookie(c: Context, trustProxy: boolean): void {
  if (plainLoopback(c, trustProxy)) deleteCookie(c, SESSION_COOKIE, { path: '/' });
  else deleteCookie(c, SESSION_COOKIE, { prefix: 'host', path: '/', secure: true });
}

export function me(principal: Principal) {
  return {
    actor: principal.actor,
    id: principal.id,
    email: principal.email,
    name: principal.name,
    role: principal.role,
    branches: principal.branches,
    advisorId: principal.advisorId,
    totpVerified: principal.totpVerified,
    cambioDeClaveRequerido: principal.mustChangePassword,
    totpRequerido: principal.mustEnrolTotp,
  };
}

function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('NO_AUTORIZADO', 'Inicia sesión');
  return principal;
}

/** Sign-in (SPEC §18): `/api/auth/*`. Who may call each is in the route table. */
export function authRoutes({ accounts, trustProxy }: AuthRoutesDeps): Hono {
  const app = new Hono();
  const request = (c: Context) => {
    const origin = originOf(c, 'SYSTEM', trustProxy);
    return { ipAddress: origin.ipAddress ?? null, userAgent: origin.userAgent ?? null };
  };

  app.post('/login', async (c) => {
    const body = await readJsonBody(c);
    try {
      const { token, principal } = await accounts.signIn(body, request(c));
      setSessionCookie(c, token, trustProxy);
      return c.json(me(principal));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'DEMASIADOS_INTENTOS') c.header('Retry-After', String(error.details.retryAfter ?? 900));
      throw error;
    }
  });

  app.post('/logout', async (c) => {
    await accounts.signOut(principalOf(c), requestOrigin(c, trustProxy));
    clearSessionCookie(c, trustProxy);
    return c.json({ ok: true });
  });

  app.get('/me', (c) => c.json(me(principalOf(c))));

  app.post('/password', async (c) => {
    const { token, principal } = await accounts.changePassword(principalOf(c), await readJsonBody(c), requestOrigin(c, trustProxy));
    setSessionCookie(c, token, trustProxy);
    return c.json(me(principal));
  });

  app.post('/totp/enroll', async (c) => c.json(await accounts.enrollTotp(principalOf(c))));

  app.post('/totp/confirm', async (c) => {
    const principal = principalOf(c);
    const { principal: updated } = await accounts.confirmTotp(principal, await readJsonBody(c), requestOrigin(c, trustProxy));
    return c.json(me({ ...principal, totpVerified: updated.totpVerified, mustEnrolTotp: updated.mustEnrolTotp }));
  });

  return app;
}

/** The sign-in page: `/ingresar` (password, then a new password or TOTP when asked). */
export function signInPage(assets: Assets) {
  return (c: Context) => assets.serve(c, 'ingresar.html');
}
