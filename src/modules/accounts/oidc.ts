import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.js';
import type { OidcClientSettings } from '../../config.js';
import type { Db } from '../../db/sql.js';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OidcPurpose } from './oidc-login.entity.js';

/** A sign-in under way lives this long between leaving for the identity provider and coming back. */
export const OIDC_LOGIN_MINUTES = 10;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** A random value for the browser's short-lived binding cookie. */
export function newBrowserBinding(): string {
  return randomBytes(32).toString('base64url');
}

/** Claims from the ID token, completed by the UserInfo endpoint (same `sub`). */
export type OidcClaims = Record<string, unknown> & { sub: string; iss: string };

/**
 * An OpenID Connect relying party at one identity provider (SPEC §18, §22), through `openid-client`:
 * authorization code with PKCE (S256), state and nonce; the provider's metadata discovered once
 * (again after a failure). Plain http is allowed only for a loopback issuer (config.ts refuses
 * any other): the tests' in-process provider, a local setup.
 */
export class OidcRelyingParty {
  private configuration: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly settings: OidcClientSettings,
    private readonly logger?: Logger,
  ) {}

  get issuer(): string {
    return this.settings.issuer;
  }

  private config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const url = new URL(this.settings.issuer);
      const options: oidc.DiscoveryRequestOptions = { timeout: 10 };
      if (url.protocol === 'http:') options.execute = [oidc.allowInsecureRequests];
      this.configuration = oidc
        .discovery(url, this.settings.clientId, this.settings.clientSecret, oidc.ClientSecretBasic(this.settings.clientSecret), options)
        .catch((error: unknown) => {
          this.configuration = null;
          this.logger?.error({ emisor: this.settings.issuer, err: describeError(error) }, 'no se pudo leer la configuración del proveedor de identidad');
          throw new DomainError('PROVEEDOR_NO_DISPONIBLE', 'El proveedor de identidad no responde; intenta en unos minutos');
        });
    }
    return this.configuration;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async authorizationRequest(redirectUri: string, scope: string): Promise<{ url: URL; state: string; nonce: string; codeVerifier: string }> {
    const config = await this.config();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * The provider's answer at the redirect URI: state, `iss` (RFC 9207), the code exchanged with the
   * PKCE verifier, the ID token's signature, issuer, audience and nonce — all checked by
   * `openid-client`. Anything wrong is SSO_RESPUESTA_INVALIDA (400), logged by its code only.
   */
  async complete(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<OidcClaims> {
    const config = await this.config();
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('el proveedor no entregó un ID token');
      let userInfo: Record<string, unknown> = {};
      if (config.serverMetadata().userinfo_endpoint) {
        userInfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      }
      return { ...userInfo, ...idClaims } as OidcClaims;
    } catch (error) {
      if (isUnreachable(error)) {
        this.logger?.error({ emisor: this.settings.issuer, err: describeError(error) }, 'el proveedor de identidad no responde');
        throw new DomainError('PROVEEDOR_NO_DISPONIBLE', 'El proveedor de identidad no responde; intenta en unos minutos');
      }
      this.logger?.warn({ emisor: this.settings.issuer, motivo: describeError(error) }, 'respuesta del proveedor de identidad rechazada');
      throw new DomainError('SSO_RESPUESTA_INVALIDA', 'La respuesta del proveedor de identidad no es válida; vuelve a intentarlo desde el comienzo');
    }
  }
}

/** A network failure reaching the provider (fetch's TypeError with a cause), not a bad answer. */
function isUnreachable(error: unknown): boolean {
  return error instanceof TypeError && (error as TypeError & { cause?: unknown }).cause !== undefined && /fetch failed/i.test(error.message);
}

/** What went wrong, without codes, tokens or claims: the library's error class, code and OAuth `error`. */
export function describeError(error: unknown): Record<string, string> {
  if (!(error instanceof Error)) return { tipo: typeof error };
  const out: Record<string, string> = { tipo: error.name };
  const { code, error: oauthError } = error as Error & { code?: unknown; error?: unknown };
  if (typeof code === 'string') out.codigo = code;
  if (typeof oauthError === 'string') out.error = oauthError.slice(0, 60);
  return out;
}

export interface OidcLoginRow {
  id: number;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  returnTo: string | null;
  chatId: number | null;
}

/**
 * The sign-ins under way (table `oidc_login`): begun when the browser leaves for the provider,
 * spent exactly once when it comes back — from the same browser (its binding cookie), within 10
 * minutes. Several instances share them through PostgreSQL.
 */
export class OidcLogins {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async begin(
    purpose: OidcPurpose,
    request: { state: string; nonce: string; codeVerifier: string; redirectUri: string; browserBinding: string; returnTo?: string | null; chatId?: number | null },
  ): Promise<void> {
    const now = this.deps.clock.now();
    // Yesterday's abandoned sign-ins go as new ones begin: the table stays small.
    await this.deps.db.execute('delete from oidc_login where expires_at < ?', [new Date(now.getTime() - 24 * 3_600_000)]);
    await this.deps.db.execute(
      `insert into oidc_login (purpose, state_hash, browser_hash, code_verifier, nonce, redirect_uri, return_to, chat_id, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        purpose,
        sha256(request.state),
        sha256(request.browserBinding),
        request.codeVerifier,
        request.nonce,
        request.redirectUri,
        request.returnTo ?? null,
        request.chatId ?? null,
        now,
        new Date(now.getTime() + OIDC_LOGIN_MINUTES * 60_000),
      ],
    );
  }

  /**
   * Spends the sign-in this `state` names. Unknown, already used, expired or from another browser:
   * SSO_RESPUESTA_INVALIDA (the reason is logged, never the state).
   */
  async consume(purpose: OidcPurpose, state: string | undefined, browserBinding: string | undefined, logger?: Logger): Promise<OidcLoginRow> {
    const refuse = (motivo: string): never => {
      logger?.warn({ motivo, proposito: purpose }, 'regreso del proveedor de identidad rechazado');
      throw new DomainError('SSO_RESPUESTA_INVALIDA', 'La respuesta del proveedor de identidad no es válida; vuelve a intentarlo desde el comienzo');
    };
    if (!state || state.length > 512) return refuse('sin state');
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.execute<
      Array<{ id: string; browser_hash: string; code_verifier: string; nonce: string; redirect_uri: string; return_to: string | null; chat_id: string | null; expires_at: string; used_at: string | null }>
    >(
      // The row is locked first: of two arrivals with the same state, the second sees it used.
      `with before as (select id, used_at from oidc_login where state_hash = ? and purpose = ? for update)
       update oidc_login o set used_at = coalesce(o.used_at, ?) from before where o.id = before.id
       returning o.id, o.browser_hash, o.code_verifier, o.nonce, o.redirect_uri, o.return_to, o.chat_id, o.expires_at, before.used_at`,
      [sha256(state), purpose, now],
    );
    if (!row) return refuse('state desconocido');
    if (row.used_at !== null) return refuse('state ya usado');
    if (Date.parse(`${row.expires_at}Z`) <= now.getTime()) return refuse('state vencido');
    const expected = Buffer.from(row.browser_hash, 'hex');
    const given = Buffer.from(sha256(browserBinding ?? ''), 'hex');
    if (!browserBinding || expected.length !== given.length || !timingSafeEqual(expected, given)) return refuse('otro navegador');
    return {
      id: Number(row.id),
      state,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      redirectUri: row.redirect_uri,
      returnTo: row.return_to,
      chatId: row.chat_id === null ? null : Number(row.chat_id),
    };
  }
}
