/**
 * A real OpenID Connect provider (npm `oidc-provider`, the certified one) started in-process on
 * 127.0.0.1 and a free port, for SPEC §18 (the bank's staff login) and §22 (the customer's RUT).
 * Its development login accepts any login name with any password: the login name is the account
 * id, whose claims the test sets in `accounts`. Its consent screen is the real one.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Account id (the login typed at the provider) → its claims. */
  accounts: Map<string, Record<string, unknown>>;
  /** Registers this app's client with its redirect URIs (the app's port is known only once it runs). */
  registerClient(redirectUris: string[]): void;
  /** How many token requests the provider answered (a replayed code must not reach a session). */
  tokenRequests(): number;
  close(): Promise<void>;
}

export async function startIdentityProvider(
  options: { clientId?: string; claimsInProfile?: string[]; /** Further scopes and the claims each releases (ClaveÚnica's `run`). */ scopes?: Record<string, string[]> } = {},
): Promise<TestIdentityProvider> {
  const clientId = options.clientId ?? 'ticketero';
  const clientSecret = randomBytes(24).toString('base64url');
  const accounts = new Map<string, Record<string, unknown>>();
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | null = null;
  let tokens = 0;
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/token')) tokens++;
    if (!handler) {
      res.statusCode = 503;
      res.end('not ready');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    registerClient(redirectUris) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        findAccount: (_ctx, id) => {
          const claims = accounts.get(id);
          if (!claims) return undefined;
          return { accountId: id, claims: () => ({ sub: id, ...claims }) };
        },
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name', ...(options.claimsInProfile ?? [])],
          ...options.scopes,
        },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
      });
      handler = provider.callback();
    },
    tokenRequests: () => tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
