import { generate } from 'otplib';
import type { BrowserContext } from 'playwright-core';
import type { NewAccount } from '../../src/modules/accounts/account.service.js';
import type { TestApp } from './app.js';

/** A strong password nobody would pick by chance (not among the 10,000 common ones). */
export const STRONG_PASSWORD = 'cordillera-azul-7-lagos-ñandú';

export interface SignedIn {
  id: number;
  email: string;
  password: string;
  /** The `Cookie` header value: `ticketero=…` on loopback http, `__Host-ticketero=…` behind https. */
  cookie: string;
  totpSecret: string | null;
  /** fetch as this person: their cookie and this app's own Origin. */
  request(path: string, init?: RequestInit): Promise<Response>;
}

export function sessionCookieOf(response: Response): string | null {
  for (const line of response.headers.getSetCookie()) {
    const match = /^((?:__Host-)?ticketero=[^;]+)/.exec(line);
    if (match) return match[1]!;
  }
  return null;
}

/** A JSON request as a browser on the app's own page would send it. */
export function asBrowser(app: TestApp, cookie: string | null, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (cookie) headers.set('cookie', cookie);
  if (!headers.has('origin')) headers.set('origin', app.url);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${app.url}${path}`, { ...init, headers });
}

export function signInRequest(app: TestApp, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return asBrowser(app, null, '/api/auth/login', { method: 'POST', body: JSON.stringify(body), ...init });
}

export function totpNow(secret: string, at: Date = new Date()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/**
 * An account as a person would have it after their first sign-in: created (as an ADMIN would),
 * signed in with the initial password, the password changed and — for roles that need it — TOTP
 * enrolled. Returns a fetch bound to their session.
 */
export async function readyAccount(
  app: TestApp,
  account: Partial<NewAccount> & Pick<NewAccount, 'role'>,
  /** The app's clock, when a test moves it: TOTP codes are of that time. */
  now: () => Date = () => new Date(),
): Promise<SignedIn> {
  const email = account.email ?? `${account.role.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}@banco.cl`;
  const { account: created, initialPassword } = await app.services.accounts.create(
    { email, name: account.name ?? `Persona ${account.role}`, role: account.role, branches: account.branches ?? [], advisorId: account.advisorId ?? null },
    { actor: 'SYSTEM' },
  );
  const first = await signInRequest(app, { email, password: initialPassword });
  if (first.status !== 200) throw new Error(`sign-in ${first.status}: ${await first.text()}`);
  let cookie = sessionCookieOf(first)!;
  const changed = await asBrowser(app, cookie, '/api/auth/password', {
    method: 'POST',
    body: JSON.stringify({ current: initialPassword, new: STRONG_PASSWORD }),
  });
  if (changed.status !== 200) throw new Error(`password ${changed.status}: ${await changed.text()}`);
  cookie = sessionCookieOf(changed)!;
  const me = (await changed.json()) as { totpRequerido: boolean };
  let totpSecret: string | null = null;
  if (me.totpRequerido) {
    const enrolled = await asBrowser(app, cookie, '/api/auth/totp/enroll', { method: 'POST', body: '{}' });
    totpSecret = ((await enrolled.json()) as { secret: string }).secret;
    const confirmed = await asBrowser(app, cookie, '/api/auth/totp/confirm', {
      method: 'POST',
      body: JSON.stringify({ code: await totpNow(totpSecret, now()) }),
    });
    if (confirmed.status !== 200) throw new Error(`totp ${confirmed.status}: ${await confirmed.text()}`);
  }
  return {
    id: created.id,
    email,
    password: STRONG_PASSWORD,
    cookie,
    totpSecret,
    request: (path, init) => asBrowser(app, cookie, path, init),
  };
}

/** Puts a signed-in person's session into a browser context (the sign-in page itself has its own test). */
export async function signInBrowser(context: BrowserContext, app: TestApp, person: SignedIn): Promise<void> {
  const [name, value] = person.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: app.url, httpOnly: true, sameSite: 'Lax' }]);
}
