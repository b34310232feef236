import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { AccountService, SessionIssued } from './account.service.js';
import type { OidcLogins, OidcRelyingParty } from './oidc.js';

/** A claim's value by name, or by a dotted path when no claim has that exact name (`realm_access.roles`). */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string').slice(0, 200);
  return [];
}

/**
 * Staff single sign-on (SPEC §18) with the bank's identity provider: the browser is sent there
 * with a fresh state, nonce and PKCE challenge, and comes back with a code that becomes a session
 * of the account with the provider's email (made on the first sign-in with OIDC_AUTO_PROVISION).
 */
export class StaffSso {
  constructor(
    private readonly deps: {
      rp: OidcRelyingParty;
      logins: OidcLogins;
      accounts: AccountService;
      settings: NonNullable<Config['staffOidc']>;
      logger?: Logger;
    },
  ) {}

  async begin(redirectUri: string, browserBinding: string, returnTo: string | null): Promise<URL> {
    const request = await this.deps.rp.authorizationRequest(redirectUri, 'openid email profile');
    await this.deps.logins.begin('STAFF', { ...request, redirectUri, browserBinding, returnTo });
    return request.url;
  }

  async complete(
    query: URLSearchParams,
    browserBinding: string | undefined,
    request: { ipAddress: string | null; userAgent: string | null },
  ): Promise<SessionIssued & { returnTo: string | null }> {
    const login = await this.deps.logins.consume('STAFF', query.get('state') ?? undefined, browserBinding, this.deps.logger);
    const callbackUrl = new URL(login.redirectUri);
    callbackUrl.search = query.toString();
    const claims = await this.deps.rp.complete(callbackUrl, login);
    const { settings } = this.deps;
    const issued = await this.deps.accounts.signInFederated(
      {
        issuer: this.deps.rp.issuer,
        email: typeof claims.email === 'string' ? claims.email : null,
        emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
        name: typeof claims.name === 'string' ? claims.name : null,
        roleValues: stringsOf(claimValue(claims, settings.roleClaim)),
      },
      { autoProvision: settings.autoProvision, roleMap: settings.roleMap },
      request,
    );
    return { ...issued, returnTo: login.returnTo };
  }
}
