import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AccountService } from '../../modules/accounts/account.service.js';
import { devicePrincipal, looksLikeDeviceToken, type DeviceService } from '../../modules/devices/device.service.js';
import { breakGlassPrincipal, kioskKeyPrincipal, originFor, type Principal } from '../../modules/accounts/principal.js';
import type { Origin } from '../../modules/audit/audit.service.js';
import { safeEqual } from './bearer.js';
import { originOf } from './request-context.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Who this request acts for (SPEC §18), set by `identify`. */
    principal: Principal | undefined;
  }
}

/** The session cookie: `__Host-ticketero` (Secure, path /, no Domain). */
export const SESSION_COOKIE = 'ticketero';

/**
 * SPEC §18: the cookie is `__Host-ticketero`, Secure — except over plain http on loopback
 * (`npm start` on a laptop: http://127.0.0.1:3000), where a browser would refuse a Secure cookie:
 * there it is plain `ticketero`, still HttpOnly and SameSite=Lax. Anywhere else plain http cannot
 * sign in (serve it behind https).
 */
export function plainLoopback(c: Context, trustProxy = false): boolean {
  const url = new URL(c.req.url);
  const https = url.protocol === 'https:' || (trustProxy && c.req.header('x-forwarded-proto') === 'https');
  return !https && /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/.test(url.hostname);
}

export function bearerOf(c: Context): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
  return match ? match[1]!.trim() : null;
}

export function sessionTokenOf(c: Context, trustProxy: boolean): string | undefined {
  return plainLoopback(c, trustProxy) ? getCookie(c, SESSION_COOKIE) : getCookie(c, SESSION_COOKIE, 'host');
}

export interface IdentifyOptions {
  accounts: AccountService;
  /** SPEC §17: a branch's tótems and screens, each with its own token. */
  devices: DeviceService;
  /** Break-glass ADMIN (SPEC §18), audited as `apikey`. */
  adminApiKey: string | undefined;
  /** The all-branches kiosk integration key, audited as `KIOSK`. */
  kioskApiKey: string | undefined;
  trustProxy: boolean;
}

/**
 * Finds who a request acts for, however it arrived: the break-glass key, the kiosk key, a device's
 * token or an integration token (`Authorization: Bearer tk_…`), or a session cookie. Decides nothing: that is
 * `authorize`'s job, from the route table.
 */
export function identify(options: IdentifyOptions): MiddlewareHandler {
  return async (c, next) => {
    c.set('principal', await principalOf(c, options));
    return next();
  };
}

async function principalOf(c: Context, { accounts, devices, adminApiKey, kioskApiKey, trustProxy }: IdentifyOptions): Promise<Principal | undefined> {
  const bearer = bearerOf(c);
  if (bearer !== null) {
    if (adminApiKey && safeEqual(bearer, adminApiKey)) return breakGlassPrincipal();
    if (kioskApiKey && safeEqual(bearer, kioskApiKey)) return kioskKeyPrincipal();
    if (looksLikeDeviceToken(bearer)) {
      // Read afresh on every request (nothing cached): a revoked device is refused at once, on every instance.
      const device = await devices.authenticate(bearer);
      if (device) return devicePrincipal(device);
      // `tk_kiosk_…` is also the prefix of integration tokens of role KIOSK: those are looked up next.
    }
    if (bearer.startsWith('tk_')) return (await accounts.principalForToken(bearer)) ?? undefined;
    return undefined;
  }
  const session = sessionTokenOf(c, trustProxy);
  if (session) return (await accounts.principalForSession(session)) ?? undefined;
  return undefined;
}

/** The audit's origin of this request: the principal's actor, or `fallback` (an open development kiosk). */
export function requestOrigin(c: Context, trustProxy: boolean, fallback = 'SYSTEM'): Origin {
  const base = originOf(c, fallback, trustProxy);
  const principal = c.get('principal');
  return principal ? originFor(principal, { ipAddress: base.ipAddress ?? null, userAgent: base.userAgent ?? null }) : base;
}
