import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { DomainError } from '../../errors.js';
import { SESSION_ABSOLUTE_HOURS, type AccountService } from '../../modules/accounts/account.service.js';
import type { Principal } from '../../modules/accounts/principal.js';
import type { Assets } from '../assets.js';
import { readJsonBody } from '../middleware/json-body.js';
import { plainLoopback, requestOrigin, SESSION_COOKIE } from '../middleware/principal.js';
import { originOf } from '../middleware/request-context.js';
import type { StaffSso } from '../../modules/accounts/staff-sso.js';
import { newBrowserBinding, OIDC_LOGIN_MINUTES } from '../../modules/accounts/oidc.js';
import type { Logger } from '../../logger.js';
import { errorPage, messagePage, PAGE_TEXTS } from '../pages.js';

export interface AuthRoutesDeps {
  accounts: AccountService;
  trustProxy: boolean;
  /** SPEC §18: single sign-on with the bank's identity provider; null when not configured. */
  sso: StaffSso | null;
  /** PUBLIC_URL: the redirect URI's base; else this request's own origin. */
  publicUrl: string | undefined;
  logger: Logger;
}

/** The browser's binding to a sign-in under way (SPEC §18, §22): the identity provider's answer must come back to the same browser. */
export const SSO_COOKIE = 'ticketero_sso';

export function setBindingCookie(c: Context, value: string, trustProxy: boolean): void {
  // SameSite=Lax: sent on the provider's top-level redirect back (a GET), not on cross-site posts.
  const options = { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: OIDC_LOGIN_MINUTES * 60 } as const;
  if (plainLoopback(c, trustProxy)) setCookie(c, SSO_COOKIE, value, options);
  else setCookie(c, SSO_COOKIE, value, { ...options, prefix: 'host', secure: true });
}

export function bindingCookieOf(c: Context, trustProxy: boolean): string | undefined {
  return plainLoopback(c, trustProxy) ? getCookie(c, SSO_COOKIE) : getCookie(c, SSO_COOKIE, 'host');
}

/** Spent once the sign-in succeeded (a forged return leaves the real one its chance). */
export function clearBindingCookie(c: Context, trustProxy: boolean): void {
  if (plainLoopback(c, trustProxy)) deleteCookie(c, SSO_COOKIE, { path: '/' });
  else deleteCookie(c, SSO_COOKIE, { prefix: 'host', path: '/', secure: true });
}

/** This app's public base URL: PUBLIC_URL, else the request's own origin (a redirect URI must be registered with the provider either way). */
export function publicBase(c: Context, publicUrl: string | undefined): string {
  return publicUrl ?? new URL(c.req.url).origin;
}

/** A page to go on to after signing in: a path of this app only (never another site). */
export function safeReturnPath(value: string | undefined | null): string | null {
  if (!value || value.length > 200) return null;
  return /^\/[A-Za-z0-9/_-]*$/.test(value) && !value.startsWith('//') ? value : null;
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
    totpVerificacionRequerida: principal.mustVerifyTotp,
  };
}

function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('NO_AUTORIZADO', 'Inicia sesión');
  return principal;
}

/** Sign-in (SPEC §18): `/api/auth/*`. Who may call each is in the route table. */
export function authRoutes({ accounts, trustProxy, sso, publicUrl, logger }: AuthRoutesDeps): Hono {
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

  // SPEC §18: "Ingresar con la cuenta del banco" (OpenID Connect, code + PKCE, state and nonce).
  app.get('/sso', (c) => c.json({ disponible: sso !== null }));

  app.get('/sso/start', async (c) => {
    if (!sso) return messagePage(c, 404, PAGE_TEXTS.ssoTitle, PAGE_TEXTS.ssoNotConfigured, { href: '/ingresar', label: PAGE_TEXTS.ssoRetry });
    const binding = newBrowserBinding();
    const returnTo = safeReturnPath(c.req.query('volver'));
    try {
      const url = await sso.begin(`${publicBase(c, publicUrl)}/api/auth/sso/callback`, binding, returnTo);
      setBindingCookie(c, binding, trustProxy);
      c.header('Cache-Control', 'no-store');
      return c.redirect(url.href, 303);
    } catch (error) {
      if (error instanceof DomainError) return errorPage(c, PAGE_TEXTS.ssoTitle, error, { href: '/ingresar', label: PAGE_TEXTS.ssoRetry });
      throw error;
    }
  });

  app.get('/sso/callback', async (c) => {
    const binding = bindingCookieOf(c, trustProxy);
    if (!sso) return messagePage(c, 404, PAGE_TEXTS.ssoTitle, PAGE_TEXTS.ssoNotConfigured, { href: '/ingresar', label: PAGE_TEXTS.ssoRetry });
    try {
      const { token, principal, returnTo } = await sso.complete(new URL(c.req.url).searchParams, binding, request(c));
      setSessionCookie(c, token, trustProxy);
      clearBindingCookie(c, trustProxy);
      c.header('Cache-Control', 'no-store');
      const destination = returnTo ?? (principal.role === 'ASESOR' ? '/escritorio' : '/supervisor');
      // TOTP still to enrol or to prove: the sign-in page asks for it, then goes on.
      if (principal.mustEnrolTotp || principal.mustVerifyTotp) return c.redirect(`/ingresar?volver=${encodeURIComponent(destination)}`, 303);
      return c.redirect(destination, 303);
    } catch (error) {
      if (error instanceof DomainError) {
        if (error.status >= 500) logger.warn({ error: error.code }, 'ingreso con el proveedor de identidad fallido');
        return errorPage(c, PAGE_TEXTS.ssoTitle, error, { href: '/ingresar', label: PAGE_TEXTS.ssoRetry });
      }
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
    return c.json(me({ ...principal, totpVerified: updated.totpVerified, mustEnrolTotp: updated.mustEnrolTotp, mustVerifyTotp: updated.mustVerifyTotp }));
  });

  return app;
}

/** The sign-in page: `/ingresar` (password, then a new password or TOTP when asked). */
export function signInPage(assets: Assets) {
  return (c: Context) => assets.serve(c, 'ingresar.html');
}
