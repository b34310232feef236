import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';
import { oneOf } from '../../db/checks.js';
import { Advisor } from '../advisors/advisor.entity.js';
import { STAFF_ROLES, TOKEN_ROLES, type StaffRole, type TokenRole } from './roles.js';

// The roles live apart so the services (and the job workers) load them without MikroORM.
export { STAFF_ROLES, TOKEN_ROLES, type StaffRole, type TokenRole };

/** A person who signs in (SPEC §18). Email stored lower-cased; the TOTP secret sealed with §14's data keys. */
export const StaffAccount = defineEntity({
  name: 'StaffAccount',
  tableName: 'staff_account',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    email: p.string().length(254).unique('staff_account_email_unique'),
    name: p.string().length(200),
    role: p.string().length(20).$type<StaffRole, string>(),
    /** ASESOR: the advisor whose desk this person works. */
    advisor: p.manyToOne(Advisor).fieldName('advisor_id').nullable().deleteRule('set null').updateRule('no action'),
    /** argon2id (PHC string); null for an account that only signs in through the bank's identity provider. */
    passwordHash: p.string().length(255).nullable(),
    mustChangePassword: p.boolean().default(false),
    totpSecret: p.text().nullable(),
    totpEnabled: p.boolean().default(false),
    active: p.boolean().default(true),
    lastSignInAt: p.datetime().columnType('timestamp').nullable(),
    passwordChangedAt: p.datetime().columnType('timestamp').nullable(),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  },
  checks: [
    { name: 'staff_account_role_check', expression: oneOf('role', STAFF_ROLES) },
    { name: 'staff_account_email_lower_check', expression: 'email = lower(email)' },
  ],
});

/** A SUPERVISOR's branches (SPEC §18: "branch grants in a table of their own"). */
export const StaffBranchGrant = defineEntity({
  name: 'StaffBranchGrant',
  tableName: 'staff_branch_grant',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    account: p.manyToOne(StaffAccount).fieldName('account_id').deleteRule('cascade').updateRule('no action'),
    branchOffice: p.string().length(100),
    createdAt: createdAtColumn(),
  },
  uniques: [{ name: 'uq_staff_branch_grant', properties: ['account', 'branchOffice'] }],
});

/** A signed-in browser: only the SHA-256 of its cookie's token is kept. */
export const StaffSession = defineEntity({
  name: 'StaffSession',
  tableName: 'staff_session',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    tokenHash: p.string().length(64).unique('staff_session_token_hash_unique'),
    account: p.manyToOne(StaffAccount).fieldName('account_id').deleteRule('cascade').updateRule('no action').index('idx_staff_session_account'),
    totpVerified: p.boolean().default(false),
    /** How the person signed in: CLAVE (password) or OIDC (the bank's identity provider, SPEC §18). */
    signInMethod: p.string().length(10).default('CLAVE'),
    createdAt: createdAtColumn(),
    lastSeenAt: p.datetime().columnType('timestamp'),
    expiresAt: p.datetime().columnType('timestamp'),
    revokedAt: p.datetime().columnType('timestamp').nullable(),
    ipAddress: p.string().length(45).nullable(),
    userAgent: p.string().length(500).nullable(),
  },
});

/** An integration token (SPEC §18), and the first run's kiosk credential: shown once, hashed at rest. */
export const ApiToken = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    name: p.string().length(100),
    role: p.string().length(20).$type<TokenRole, string>(),
    branches: p.json<string[]>().columnType('jsonb'),
    tokenHash: p.string().length(64).unique('api_token_token_hash_unique'),
    tokenPrefix: p.string().length(20),
    createdBy: p.string().length(100).nullable(),
    createdAt: createdAtColumn(),
    expiresAt: p.datetime().columnType('timestamp').nullable(),
    revokedAt: p.datetime().columnType('timestamp').nullable(),
    lastUsedAt: p.datetime().columnType('timestamp').nullable(),
  },
  checks: [{ name: 'api_token_role_check', expression: oneOf('role', TOKEN_ROLES) }],
});

/** rate-limiter-flexible's table (its own layout), created here instead of by the library at run time. */
export const AuthRateLimit = defineEntity({
  name: 'AuthRateLimit',
  tableName: 'auth_rate_limit',
  properties: {
    key: p.string().length(255).primary(),
    points: p.integer().default(0),
    expire: p.bigint('number').nullable(),
  },
});
