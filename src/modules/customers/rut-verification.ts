import type { Config } from '../../config.js';
import { parseRut } from '../../domain/rut.js';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OidcLogins, OidcRelyingParty } from '../accounts/oidc.js';
import { claimValue } from '../accounts/staff-sso.js';
import type { CustomerService, RutVerified } from './customer.service.js';

/** The RUT in a claim: `"12.345.678-5"`, or an object `{numero, DV}` (ClaveÚnica's RolUnico). */
export function rutFromClaim(value: unknown): string | null {
  let text: string | null = null;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { numero, DV } = value as Record<string, unknown>;
    if ((typeof numero === 'number' || typeof numero === 'string') && typeof DV === 'string') text = `${numero}-${DV}`;
  }
  if (text === null || text.length > 20) return null;
  const parsed = parseRut(text);
  return parsed.ok ? parsed.rut : null;
}

/**
 * "Verificar mi RUT" (SPEC §22): the bot sends a chat a single-use link; opening it sends the
 * browser to the customer's identity provider (ClaveÚnica or the bank's own login: authorization
 * code with PKCE, state and nonce); the provider's answer names a RUT, and that chat now owns every
 * ticket of that RUT.
 */
export class RutVerification {
  constructor(
    private readonly deps: {
      rp: OidcRelyingParty;
      logins: OidcLogins;
      customers: CustomerService;
      settings: NonNullable<Config['customerOidc']>;
      logger?: Logger;
    },
  ) {}

  /** The link's token (spent here) → where to send the browser. */
  async begin(linkToken: string, redirectUri: string, browserBinding: string): Promise<URL> {
    const chatId = await this.deps.customers.openRutVerificationLink(linkToken);
    const request = await this.deps.rp.authorizationRequest(redirectUri, this.deps.settings.scope);
    await this.deps.logins.begin('CUSTOMER', { ...request, redirectUri, browserBinding, chatId });
    return request.url;
  }

  async complete(query: URLSearchParams, browserBinding: string | undefined): Promise<RutVerified & { chatId: number }> {
    const login = await this.deps.logins.consume('CUSTOMER', query.get('state') ?? undefined, browserBinding, this.deps.logger);
    const callbackUrl = new URL(login.redirectUri);
    callbackUrl.search = query.toString();
    const claims = await this.deps.rp.complete(callbackUrl, login);
    const rut = rutFromClaim(claimValue(claims, this.deps.settings.rutClaim));
    if (!rut || login.chatId === null) {
      this.deps.logger?.warn({ motivo: 'sin RUT válido en el claim', claim: this.deps.settings.rutClaim }, 'verificación de RUT rechazada');
      throw new DomainError('SSO_SIN_CUENTA', 'Tu proveedor de identidad no entregó un RUT válido, así que no pudimos verificarlo');
    }
    const verified = await this.deps.customers.verifyRut(login.chatId, rut, this.deps.rp.issuer);
    return { ...verified, chatId: login.chatId };
  }
}
