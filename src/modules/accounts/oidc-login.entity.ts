import { defineEntity, p } from '@mikro-orm/core';
import { oneOf } from '../../db/checks.js';

/** Who an OpenID Connect sign-in is for: a staff member (SPEC §18) or a customer's chat (SPEC §22). */
export const OIDC_PURPOSES = ['STAFF', 'CUSTOMER'] as const;
export type OidcPurpose = (typeof OIDC_PURPOSES)[number];

/**
 * One OpenID Connect sign-in under way (authorization code + PKCE, state and nonce): written when
 * the browser is sent to the identity provider, spent once when it comes back. Only the SHA-256 of
 * the state and of the browser's binding cookie are kept; the row lives 10 minutes.
 */
export const OidcLogin = defineEntity({
  name: 'OidcLogin',
  tableName: 'oidc_login',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    purpose: p.string().length(10).$type<OidcPurpose, string>(),
    stateHash: p.string().length(64).unique('oidc_login_state_hash_unique'),
    /** SHA-256 of the random value in the browser's short-lived cookie: the callback must come from the same browser. */
    browserHash: p.string().length(64),
    codeVerifier: p.string().length(128),
    nonce: p.string().length(128),
    redirectUri: p.string().length(2000),
    /** STAFF: the page to open after signing in. */
    returnTo: p.string().length(200).nullable(),
    /** CUSTOMER: the chat whose single-use link started this sign-in. */
    chatId: p.bigint('number').nullable(),
    createdAt: p.datetime().columnType('timestamp'),
    expiresAt: p.datetime().columnType('timestamp').index('idx_oidc_login_expires_at'),
    usedAt: p.datetime().columnType('timestamp').nullable(),
  },
  checks: [{ name: 'oidc_login_purpose_check', expression: oneOf('purpose', OIDC_PURPOSES) }],
});
