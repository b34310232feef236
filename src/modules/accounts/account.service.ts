import { createHash, randomBytes } from 'node:crypto';
import { generate as generateTotp, generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import { renderSVG } from 'uqr';
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../../clock.js';
import type { OidcRoleGrant, OidcRoleMap } from '../../config.js';
import type { Db, Queryable } from '../../db/sql.js';
import { INSTANT_MESSAGE, parseInstant } from '../../domain/input-dates.js';
import { DomainError, ValidationError, fieldErrors } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';
import { STAFF_ROLES, TOKEN_ROLES, type StaffRole, type TokenRole } from './roles.js';
import { hashPassword, passwordProblem, randomPassword, verifyPassword } from './passwords.js';
import { roleNeedsTotp, type Principal } from './principal.js';

export const SESSION_IDLE_MINUTES = 30;
export const SESSION_ABSOLUTE_HOURS = 12;
export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MINUTES = 15;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

export interface AccountRow {
  id: number;
  email: string;
  name: string;
  role: StaffRole;
  advisorId: number | null;
  branches: string[];
  active: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  lastSignInAt: string | null;
  createdAt: string;
}

export interface NewAccount {
  email: string;
  name: string;
  role: StaffRole;
  branches?: string[];
  advisorId?: number | null;
}

export interface SignIn {
  email: string;
  password: string;
  totp?: string | undefined;
}

/** Who the bank's identity provider says signed in (SPEC §18). */
export interface FederatedIdentity {
  issuer: string;
  email: string | null;
  /** `email_verified`: false refuses; absent is accepted (many corporate providers do not send it). */
  emailVerified: boolean | null;
  name: string | null;
  /** The values of OIDC_ROLE_CLAIM. */
  roleValues: string[];
}

export interface FederationPolicy {
  autoProvision: boolean;
  roleMap: OidcRoleMap;
}

/** Among the claim's values that the map knows, the strongest role; a SUPERVISOR gets every branch those values grant. */
export function grantFromClaim(values: readonly string[], roleMap: OidcRoleMap): OidcRoleGrant | null {
  const grants = values.filter((v) => Object.hasOwn(roleMap, v)).map((v) => roleMap[v]!);
  for (const role of ['ADMIN', 'SUPERVISOR', 'ASESOR', 'AUDITOR'] as const) {
    const matching = grants.filter((g) => g.role === role);
    if (matching.length) return { role, branches: [...new Set(matching.flatMap((g) => g.branches))] };
  }
  return null;
}

export interface SessionIssued {
  token: string;
  principal: Principal;
}

interface SessionRow {
  session_id: string;
  account_id: string;
  email: string;
  name: string;
  role: StaffRole;
  advisor_id: string | null;
  active: boolean;
  must_change_password: boolean;
  totp_enabled: boolean;
  totp_verified: boolean;
  sign_in_method: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  branches: string[] | null;
}

export interface AccountSettings {
  /** The sign-in limit per client IP: attempts per 15 minutes. */
  loginAttemptsPerIp: number;
  totpIssuer: string;
}

/**
 * Accounts, sessions and integration tokens (SPEC §18). Every change is one transaction with its
 * audit row naming who did it; passwords argon2id, sessions and tokens kept only as SHA-256.
 */
export class AccountService {
  private readonly accountLimiter: RateLimiterPostgres;
  private readonly ipLimiter: RateLimiterPostgres;

  constructor(
    private readonly deps: { db: Db; clock: Clock; cipher: PersonalDataCipher; logger?: Logger; settings: AccountSettings },
  ) {
    const { db } = deps;
    // rate-limiter-flexible on PostgreSQL, through the app's pool; its table comes from a migration.
    const storeClient = {
      query: async (q: { text: string; values?: unknown[] }) => {
        const rows = await db.execute<unknown[]>(q.text, q.values ?? []);
        return { rows, rowCount: rows.length };
      },
    };
    const common = { storeClient, storeType: 'pool', tableName: 'auth_rate_limit', tableCreated: true, clearExpiredByTimeout: false };
    this.accountLimiter = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'cuenta',
      points: LOCKOUT_FAILURES,
      duration: LOCKOUT_MINUTES * 60,
    });
    this.ipLimiter = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'ip',
      points: deps.settings.loginAttemptsPerIp,
      duration: 15 * 60,
    });
  }

  private get now(): Date {
    return this.deps.clock.now();
  }

  // --- accounts ---------------------------------------------------------------------------

  async create(input: NewAccount, by: Origin): Promise<{ account: AccountRow; initialPassword: string }> {
    const command = parseNewAccount(input);
    const initialPassword = randomPassword();
    const passwordHash = await hashPassword(initialPassword);
    const account = await this.deps.db.transactional(async (tx) => {
      const id = await this.insertAccount(tx, command, passwordHash);
      const created = await this.get(id, tx);
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: id,
        eventType: 'CUENTA_CREADA',
        origin: by,
        newState: accountState(created),
        at: this.now,
      });
      return created;
    });
    return { account, initialPassword };
  }

  private async insertAccount(tx: Queryable, command: Required<NewAccount>, passwordHash: string): Promise<number> {
    const taken = await tx.execute<Array<{ id: string }>>('select id from staff_account where email = ?', [command.email]);
    if (taken.length) throw new DomainError('EMAIL_EN_USO', 'Ya existe una cuenta con ese email');
    if (command.advisorId !== null) {
      const advisor = await tx.execute<unknown[]>('select 1 from advisor where id = ?', [command.advisorId]);
      if (!advisor.length) throw new ValidationError({ advisorId: 'No existe un asesor con ese id' });
    }
    const [row] = await tx.execute<Array<{ id: string }>>(
      `insert into staff_account (email, name, role, advisor_id, password_hash, must_change_password, created_at, updated_at)
       values (?, ?, ?, ?, ?, true, ?, ?) on conflict (email) do nothing returning id`,
      [command.email, command.name, command.role, command.advisorId, passwordHash, this.now, this.now],
    );
    if (!row) throw new DomainError('EMAIL_EN_USO', 'Ya existe una cuenta con ese email');
    const id = Number(row.id);
    await this.grantBranches(tx, id, command.branches);
    return id;
  }

  /** A grant names a real branch (SPEC §18; the database holds it too, by a trigger that acts as a foreign key). */
  private async grantBranches(tx: Queryable, accountId: number, branches: readonly string[]): Promise<void> {
    if (!branches.length) return;
    const known = await tx.execute<Array<{ name: string }>>('select name from branch where name = any(?::text[]) for key share', [[...branches]]);
    const missing = branches.filter((b) => !known.some((k) => k.name === b));
    if (missing.length) throw new ValidationError({ branches: `No existe la sucursal: ${missing.slice(0, 5).join(', ')}` });
    for (const branch of branches) {
      await tx.execute('insert into staff_branch_grant (account_id, branch_office, created_at) values (?, ?, ?)', [accountId, branch, this.now]);
    }
  }

  async get(id: number, q: Queryable = this.deps.db): Promise<AccountRow> {
    const [row] = await this.listWhere(q, 'a.id = ?', [id]);
    if (!row) throw new DomainError('CUENTA_NO_ENCONTRADA', 'No existe esa cuenta');
    return row;
  }

  async list(filter: { branches?: 'ALL' | readonly string[] } = {}): Promise<AccountRow[]> {
    const rows = await this.listWhere(this.deps.db, 'true', []);
    const branches = filter.branches;
    if (!branches || branches === 'ALL') return rows;
    return rows.filter((row) => row.branches.some((b) => branches.includes(b)));
  }

  private async listWhere(q: Queryable, where: string, params: unknown[]): Promise<AccountRow[]> {
    const rows = await q.execute<Array<Record<string, unknown>>>(
      `select a.id, a.email, a.name, a.role, a.advisor_id, a.active, a.must_change_password, a.totp_enabled,
              a.last_sign_in_at, a.created_at,
              coalesce((select json_agg(g.branch_office order by g.branch_office) from staff_branch_grant g where g.account_id = a.id), '[]') as branches,
              ad.branch_office as advisor_branch
         from staff_account a left join advisor ad on ad.id = a.advisor_id
        where ${where} order by a.id`,
      params,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      email: String(r.email),
      name: String(r.name),
      role: r.role as StaffRole,
      advisorId: r.advisor_id == null ? null : Number(r.advisor_id),
      // An ASESOR's branch is their advisor's.
      branches: r.advisor_branch ? [String(r.advisor_branch)] : (r.branches as string[]),
      active: Boolean(r.active),
      mustChangePassword: Boolean(r.must_change_password),
      totpEnabled: Boolean(r.totp_enabled),
      lastSignInAt: (r.last_sign_in_at as string | null) ?? null,
      createdAt: String(r.created_at),
    }));
  }

  async update(id: number, patch: unknown, by: Origin): Promise<AccountRow> {
    const changes = parseAccountPatch(patch);
    return this.deps.db.transactional(async (tx) => {
      const before = await this.lockedAccount(tx, id);
      if (changes.name !== undefined) await tx.execute('update staff_account set name = ?, updated_at = ? where id = ?', [changes.name, this.now, id]);
      if (changes.role !== undefined) await tx.execute('update staff_account set role = ?, updated_at = ? where id = ?', [changes.role, this.now, id]);
      if (changes.advisorId !== undefined) {
        await tx.execute('update staff_account set advisor_id = ?, updated_at = ? where id = ?', [changes.advisorId, this.now, id]);
      }
      if (changes.branches !== undefined) {
        await tx.execute('delete from staff_branch_grant where account_id = ?', [id]);
        await this.grantBranches(tx, id, changes.branches);
      }
      if (changes.active === true) await tx.execute('update staff_account set active = true, updated_at = ? where id = ?', [this.now, id]);
      const after = await this.get(id, tx);
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: id,
        eventType: 'CUENTA_MODIFICADA',
        origin: by,
        oldState: accountState(before),
        newState: accountState(after),
        at: this.now,
      });
      return after;
    });
  }

  /** Deactivates an account: its sessions die at once (SPEC §18). */
  async deactivate(id: number, by: Origin): Promise<AccountRow> {
    return this.deps.db.transactional(async (tx) => {
      const before = await this.lockedAccount(tx, id);
      await tx.execute('update staff_account set active = false, updated_at = ? where id = ?', [this.now, id]);
      await this.revokeSessionsIn(tx, id);
      const after = await this.get(id, tx);
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: id,
        eventType: 'CUENTA_DESACTIVADA',
        origin: by,
        oldState: accountState(before),
        newState: accountState(after),
        at: this.now,
      });
      return after;
    });
  }

  async revokeSessions(id: number, by: Origin): Promise<{ revoked: number }> {
    return this.deps.db.transactional(async (tx) => {
      await this.lockedAccount(tx, id);
      const revoked = await this.revokeSessionsIn(tx, id);
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: id,
        eventType: 'SESIONES_REVOCADAS',
        origin: by,
        newState: { revoked },
        at: this.now,
      });
      return { revoked };
    });
  }

  private async revokeSessionsIn(tx: Queryable, accountId: number, except?: number): Promise<number> {
    const rows = await tx.execute<unknown[]>(
      `update staff_session set revoked_at = ? where account_id = ? and revoked_at is null and id <> ? returning id`,
      [this.now, accountId, except ?? 0],
    );
    return rows.length;
  }

  private async lockedAccount(tx: Queryable, id: number): Promise<AccountRow> {
    const locked = await tx.execute<unknown[]>('select id from staff_account where id = ? for update', [id]);
    if (!locked.length) throw new DomainError('CUENTA_NO_ENCONTRADA', 'No existe esa cuenta');
    return this.get(id, tx);
  }

  // --- the first run ------------------------------------------------------------------------

  /**
   * SPEC §18: on a database with no account yet, the first ADMIN (a random password to change at
   * first sign-in) and — when asked — a kiosk for the default branch, in one transaction: a KIOSK
   * device (SPEC §17) made by `kioskDevice` inside this transaction, or else an integration token
   * of role KIOSK. Several instances starting at once: one creates, the others see it done. Null
   * when not the first run.
   */
  async bootstrap(input: {
    email: string;
    kioskBranch: string | null;
    /** Makes the kiosk device in the transaction and answers its token (see DeviceService.createInTransaction). */
    kioskDevice?: (tx: Queryable, branch: string, by: Origin) => Promise<string>;
  }): Promise<{ email: string; password: string; kioskToken: string | null } | null> {
    const email = input.email.trim().toLowerCase();
    const password = randomPassword();
    const passwordHash = await hashPassword(password);
    return this.deps.db.transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext('ticketero:primer-inicio'))`);
      const [any] = await tx.execute<unknown[]>('select 1 from staff_account limit 1');
      if (any) return null;
      const origin: Origin = { actor: 'SYSTEM' };
      const id = await this.insertAccount(tx, { email, name: 'Administración', role: 'ADMIN', branches: [], advisorId: null }, passwordHash);
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: id,
        eventType: 'CUENTA_CREADA',
        origin,
        newState: { email, role: 'ADMIN', primerInicio: true },
        at: this.now,
      });
      let kioskToken: string | null = null;
      if (input.kioskBranch && input.kioskDevice) {
        kioskToken = await input.kioskDevice(tx, input.kioskBranch, origin);
      } else if (input.kioskBranch) {
        kioskToken = (await this.insertToken(tx, { name: `Tótem ${input.kioskBranch}`, role: 'KIOSK', branches: [input.kioskBranch], expiresAt: null }, origin)).token;
      }
      return { email, password, kioskToken };
    });
  }

  /** `npm run create-admin -- EMAIL`: an ADMIN with a one-time password, on any database. */
  async createAdmin(emailInput: string): Promise<{ account: AccountRow; initialPassword: string }> {
    return this.create({ email: emailInput, name: 'Administración', role: 'ADMIN' }, { actor: 'SYSTEM' });
  }

  // --- integration tokens ------------------------------------------------------------------

  async createToken(input: unknown, by: Origin): Promise<{ id: number; name: string; role: TokenRole; branches: string[]; expiresAt: string | null; token: string }> {
    const command = parseNewToken(input, this.now);
    return this.deps.db.transactional((tx) => this.insertToken(tx, command, by));
  }

  private async insertToken(
    tx: Queryable,
    command: { name: string; role: TokenRole; branches: string[]; expiresAt: Date | null },
    by: Origin,
  ): Promise<{ id: number; name: string; role: TokenRole; branches: string[]; expiresAt: string | null; token: string }> {
    const prefix = command.role === 'KIOSK' ? 'tk_kiosk_' : 'tk_api_';
    const token = `${prefix}${randomBytes(32).toString('base64url')}`;
    const [row] = await tx.execute<Array<{ id: string }>>(
      `insert into api_token (name, role, branches, token_hash, token_prefix, created_by, created_at, expires_at)
       values (?, ?, ?::jsonb, ?, ?, ?, ?, ?) returning id`,
      [command.name, command.role, JSON.stringify(command.branches), sha256(token), token.slice(0, prefix.length + 4), by.actor, this.now, command.expiresAt],
    );
    const id = Number(row!.id);
    await recordAudit(tx, {
      entityType: 'TOKEN',
      entityId: id,
      eventType: 'TOKEN_CREADO',
      origin: by,
      newState: { name: command.name, role: command.role, branches: command.branches, expiresAt: command.expiresAt?.toISOString() ?? null },
      at: this.now,
    });
    return { id, name: command.name, role: command.role, branches: command.branches, expiresAt: command.expiresAt?.toISOString() ?? null, token };
  }

  async listTokens(): Promise<unknown[]> {
    return this.deps.db.execute(
      `select id::int as id, name, role, branches, token_prefix as "tokenPrefix", created_by as "createdBy", created_at as "createdAt",
              expires_at as "expiresAt", revoked_at as "revokedAt", last_used_at as "lastUsedAt" from api_token order by id`,
    );
  }

  async revokeToken(id: number, by: Origin): Promise<void> {
    await this.deps.db.transactional(async (tx) => {
      const rows = await tx.execute<unknown[]>('update api_token set revoked_at = coalesce(revoked_at, ?) where id = ? returning id', [this.now, id]);
      if (!rows.length) throw new DomainError('NO_ENCONTRADO', 'No existe ese token');
      await recordAudit(tx, { entityType: 'TOKEN', entityId: id, eventType: 'TOKEN_REVOCADO', origin: by, at: this.now });
    });
  }

  /** A bearer token's principal, or null (unknown, revoked or expired). */
  async principalForToken(token: string): Promise<Principal | null> {
    if (!/^tk_[a-z]+_[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const [row] = await this.deps.db.execute<Array<{ id: string; name: string; role: TokenRole; branches: string[] }>>(
      `update api_token set last_used_at = ? where token_hash = ? and revoked_at is null and (expires_at is null or expires_at > ?)
       returning id, name, role, branches`,
      [this.now, sha256(token), this.now],
    );
    if (!row) return null;
    const id = Number(row.id);
    return {
      kind: 'token',
      id,
      actor: `token:${id}`,
      role: row.role,
      branches: row.role === 'ADMIN' || row.role === 'AUDITOR' ? 'ALL' : row.branches,
      advisorId: null,
      email: null,
      name: row.name,
      sessionId: null,
      totpVerified: false,
      mustChangePassword: false,
      mustEnrolTotp: false,
      mustVerifyTotp: false,
    };
  }

  // --- sign-in and sessions ---------------------------------------------------------------

  /**
   * Email and password (and TOTP once enrolled). Five failures of one account in 15 minutes lock it
   * for 15 minutes, and each client IP has its own limit: 429 DEMASIADOS_INTENTOS with `retryAfter`.
   */
  async signIn(input: unknown, request: { ipAddress: string | null; userAgent: string | null }): Promise<SessionIssued> {
    const { email, password, totp } = parseSignIn(input);
    const ipKey = request.ipAddress ?? 'desconocida';
    await this.consumeOrRefuse(this.ipLimiter, ipKey, 1);
    const locked = await this.accountLimiter.get(email);
    if (locked && locked.consumedPoints >= LOCKOUT_FAILURES) throw tooMany(locked);

    const [account] = await this.deps.db.execute<Array<{ id: string; password_hash: string | null; active: boolean; totp_enabled: boolean; totp_secret: string | null }>>(
      'select id, password_hash, active, totp_enabled, totp_secret from staff_account where email = ?',
      [email],
    );
    const passwordOk = await verifyPassword(account?.password_hash ?? null, password);
    const reject = async (reason: string, code: 'CREDENCIALES_INVALIDAS' | 'CODIGO_TOTP_INVALIDO' | 'TOTP_REQUERIDO'): Promise<never> => {
      const result = await this.accountLimiter.penalty(email, 1);
      if (result.consumedPoints >= LOCKOUT_FAILURES) await this.accountLimiter.block(email, LOCKOUT_MINUTES * 60);
      await this.deps.db.transactional((tx) =>
        recordAudit(tx, {
          entityType: 'CUENTA',
          entityId: account ? Number(account.id) : 'desconocida',
          eventType: 'SESION_RECHAZADA',
          origin: { actor: account ? `staff:${Number(account.id)}` : 'SYSTEM', ipAddress: request.ipAddress, userAgent: request.userAgent },
          additionalData: { motivo: reason, intentos: result.consumedPoints },
          at: this.now,
        }),
      );
      this.deps.logger?.warn({ motivo: reason, ip: request.ipAddress, intentos: result.consumedPoints }, 'inicio de sesión rechazado');
      if (code === 'TOTP_REQUERIDO') throw new DomainError('TOTP_REQUERIDO', 'Ingresa el código de tu aplicación autenticadora', { totpRequerido: true });
      if (code === 'CODIGO_TOTP_INVALIDO') throw new DomainError('CODIGO_TOTP_INVALIDO', 'El código de verificación no es válido');
      throw new DomainError('CREDENCIALES_INVALIDAS', 'Email o clave incorrectos');
    };
    if (!account || !passwordOk) return reject(account ? 'clave incorrecta' : 'cuenta desconocida', 'CREDENCIALES_INVALIDAS');
    if (!account.active) return reject('cuenta desactivada', 'CREDENCIALES_INVALIDAS');
    let totpVerified = false;
    if (account.totp_enabled) {
      // A missing code is not a failed attempt: the page asks for it after the password.
      if (!totp) throw new DomainError('TOTP_REQUERIDO', 'Ingresa el código de tu aplicación autenticadora', { totpRequerido: true });
      if (!(await this.checkTotp(account.totp_secret, totp))) return reject('código TOTP incorrecto', 'CODIGO_TOTP_INVALIDO');
      totpVerified = true;
    }
    await this.accountLimiter.delete(email);
    return this.openSession(Number(account.id), totpVerified, request, 'SESION_INICIADA');
  }

  /**
   * SPEC §18: a person the bank's identity provider vouched for (code flow already checked by the
   * caller). Their account is found by email; with `autoProvision`, one is made on the first sign-in
   * when the role claim maps to a role (an ASESOR is linked to the active advisor with that email).
   * The session has not proved TOTP: an account with TOTP must still give its code, and a role that
   * needs TOTP must enrol it (SPEC §18 asks it of ADMIN and whoever may export personal data).
   */
  async signInFederated(identity: FederatedIdentity, policy: FederationPolicy, request: { ipAddress: string | null; userAgent: string | null }): Promise<SessionIssued> {
    const via = { metodo: 'OIDC' as const, emisor: identity.issuer };
    const refuse = async (code: 'SSO_SIN_CUENTA' | 'SSO_SIN_ROL', message: string, reason: string, accountId: number | null): Promise<never> => {
      await this.deps.db.transactional((tx) =>
        recordAudit(tx, {
          entityType: 'CUENTA',
          entityId: accountId ?? 'desconocida',
          eventType: 'SESION_RECHAZADA',
          origin: { actor: accountId ? `staff:${accountId}` : 'SYSTEM', ipAddress: request.ipAddress, userAgent: request.userAgent },
          additionalData: { motivo: reason, ...via },
          at: this.now,
        }),
      );
      this.deps.logger?.warn({ motivo: reason, ip: request.ipAddress, emisor: identity.issuer }, 'ingreso con el proveedor de identidad rechazado');
      throw new DomainError(code, message);
    };
    const email = normaliseEmail(identity.email);
    if (!email) return refuse('SSO_SIN_CUENTA', 'El proveedor de identidad no entregó un email', 'sin email', null);
    if (identity.emailVerified === false) return refuse('SSO_SIN_CUENTA', 'El proveedor de identidad no confirma tu email', 'email no verificado', null);
    const [existing] = await this.deps.db.execute<Array<{ id: string; active: boolean }>>('select id, active from staff_account where email = ?', [email]);
    if (existing) {
      if (!existing.active) return refuse('SSO_SIN_CUENTA', 'Tu cuenta de Ticketero está desactivada', 'cuenta desactivada', Number(existing.id));
      return this.openSession(Number(existing.id), false, request, 'SESION_INICIADA', via);
    }
    if (!policy.autoProvision) {
      return refuse('SSO_SIN_CUENTA', 'No hay una cuenta de Ticketero con tu email; pide a un administrador que la cree', 'sin cuenta', null);
    }
    const grant = grantFromClaim(identity.roleValues, policy.roleMap);
    if (!grant) return refuse('SSO_SIN_ROL', 'Tu cuenta del banco no tiene un rol en Ticketero; pide a un administrador que te lo asigne', 'sin rol', null);
    const id = await this.deps.db.transactional(async (tx) => {
      let advisorId: number | null = null;
      if (grant.role === 'ASESOR') {
        const [advisor] = await tx.execute<Array<{ id: string }>>('select id from advisor where lower(email) = ? and active order by id limit 1', [email]);
        if (!advisor) return null;
        advisorId = Number(advisor.id);
      }
      const [row] = await tx.execute<Array<{ id: string }>>(
        `insert into staff_account (email, name, role, advisor_id, password_hash, must_change_password, created_at, updated_at)
         values (?, ?, ?, ?, null, false, ?, ?) on conflict (email) do nothing returning id`,
        [email, (identity.name?.trim() || email).slice(0, 200), grant.role, advisorId, this.now, this.now],
      );
      if (!row) {
        // Another first sign-in of the same person made it a moment ago.
        const [made] = await tx.execute<Array<{ id: string }>>('select id from staff_account where email = ?', [email]);
        return Number(made!.id);
      }
      const newId = Number(row.id);
      try {
        await this.grantBranches(tx, newId, grant.branches);
      } catch (error) {
        if (error instanceof ValidationError) throw new DomainError('SSO_SIN_ROL', `El mapeo de roles (OIDC_ROLE_MAP) nombra una sucursal que no existe: ${error.campos.branches ?? ''}`);
        throw error;
      }
      await recordAudit(tx, {
        entityType: 'CUENTA',
        entityId: newId,
        eventType: 'CUENTA_CREADA',
        // The person made their own account by signing in: the audit names them, and how.
        origin: { actor: `staff:${newId}`, email, ipAddress: request.ipAddress, userAgent: request.userAgent },
        newState: { email, role: grant.role, branches: grant.branches, advisorId },
        additionalData: { ...via, aprovisionada: true, valoresDelClaim: identity.roleValues.slice(0, 20) },
        at: this.now,
      });
      return newId;
    });
    if (id === null) return refuse('SSO_SIN_ROL', 'Tu rol es ASESOR pero no hay un asesor activo con tu email; pide a un administrador que lo cree', 'asesor sin ficha', null);
    return this.openSession(id, false, request, 'SESION_INICIADA', via);
  }

  private async consumeOrRefuse(limiter: RateLimiterPostgres, key: string, points: number): Promise<void> {
    try {
      await limiter.consume(key, points);
    } catch (error) {
      if (error instanceof Error) throw error;
      throw tooMany(error as RateLimiterRes);
    }
  }

  private async openSession(
    accountId: number,
    totpVerified: boolean,
    request: { ipAddress: string | null; userAgent: string | null },
    event: 'SESION_INICIADA' | 'CLAVE_CAMBIADA' | 'TOTP_ACTIVADO',
    /** How the person proved who they are, for the audit: the password, or the identity provider. */
    via: { metodo: 'CLAVE' } | { metodo: 'OIDC'; emisor: string } = { metodo: 'CLAVE' },
  ): Promise<SessionIssued> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now;
    const expires = new Date(now.getTime() + SESSION_ABSOLUTE_HOURS * 3_600_000);
    await this.deps.db.transactional(async (tx) => {
      await tx.execute(
        `insert into staff_session (token_hash, account_id, totp_verified, sign_in_method, created_at, last_seen_at, expires_at, ip_address, user_agent)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [sha256(token), accountId, totpVerified, via.metodo, now, now, expires, request.ipAddress?.slice(0, 45) ?? null, request.userAgent?.slice(0, 500) ?? null],
      );
      if (event === 'SESION_INICIADA') {
        await tx.execute('update staff_account set last_sign_in_at = ? where id = ?', [now, accountId]);
        const [row] = await tx.execute<Array<{ email: string }>>('select email from staff_account where id = ?', [accountId]);
        await recordAudit(tx, {
          entityType: 'CUENTA',
          entityId: accountId,
          eventType: 'SESION_INICIADA',
          origin: { actor: `staff:${accountId}`, email: row?.email ?? null, ipAddress: request.ipAddress, userAgent: request.userAgent },
          additionalData: { totp: totpVerified, ...via },
          at: now,
        });
      }
    });
    const principal = await this.principalForSession(token);
    if (!principal) throw new Error('la sesión recién creada no se encontró');
    return { token, principal };
  }

  /** The session's principal, or null when unknown, revoked, idle over 30 min, past 12 h or the account is inactive. */
  async principalForSession(token: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const [row] = await this.deps.db.execute<SessionRow[]>(
      `select s.id as session_id, a.id as account_id, a.email, a.name, a.role, a.advisor_id, a.active, a.must_change_password,
              a.totp_enabled, s.totp_verified, s.sign_in_method, s.last_seen_at, s.expires_at, s.revoked_at,
              case when a.advisor_id is not null then (select json_build_array(ad.branch_office) from advisor ad where ad.id = a.advisor_id)
                   else (select json_agg(g.branch_office) from staff_branch_grant g where g.account_id = a.id) end as branches
         from staff_session s join staff_account a on a.id = s.account_id
        where s.token_hash = ?`,
      [sha256(token)],
    );
    if (!row || row.revoked_at || !row.active) return null;
    const now = this.now.getTime();
    const lastSeen = Date.parse(`${row.last_seen_at}Z`);
    if (Date.parse(`${row.expires_at}Z`) <= now || lastSeen + SESSION_IDLE_MINUTES * 60_000 <= now) return null;
    // The idle clock moves at most once a minute: not a write per request.
    if (now - lastSeen > 60_000) {
      await this.deps.db.execute('update staff_session set last_seen_at = ? where id = ?', [this.now, Number(row.session_id)]);
    }
    const role = row.role;
    const id = Number(row.account_id);
    return {
      kind: 'staff',
      id,
      actor: `staff:${id}`,
      role,
      branches: role === 'ADMIN' || role === 'AUDITOR' ? 'ALL' : (row.branches ?? []),
      advisorId: row.advisor_id == null ? null : Number(row.advisor_id),
      email: row.email,
      name: row.name,
      sessionId: Number(row.session_id),
      totpVerified: row.totp_verified,
      // A session opened by the identity provider did not use the password: nothing to change there.
      mustChangePassword: row.must_change_password && row.sign_in_method === 'CLAVE',
      mustEnrolTotp: roleNeedsTotp(role) && !row.totp_enabled,
      mustVerifyTotp: row.totp_enabled && !row.totp_verified,
    };
  }

  async signOut(principal: Principal, origin: Origin): Promise<void> {
    if (principal.sessionId === null) return;
    await this.deps.db.transactional(async (tx) => {
      await tx.execute('update staff_session set revoked_at = coalesce(revoked_at, ?) where id = ?', [this.now, principal.sessionId]);
      await recordAudit(tx, { entityType: 'CUENTA', entityId: principal.id ?? 0, eventType: 'SESION_CERRADA', origin, at: this.now });
    });
  }

  /** A new password: every other session of the account dies; this one is replaced by a fresh one. */
  async changePassword(principal: Principal, input: unknown, origin: Origin): Promise<SessionIssued> {
    if (principal.kind !== 'staff' || principal.id === null) throw new DomainError('PROHIBIDO', 'Solo una persona con sesión puede cambiar su clave');
    const { current, next } = parsePasswordChange(input);
    const [row] = await this.deps.db.execute<Array<{ password_hash: string | null }>>('select password_hash from staff_account where id = ?', [principal.id]);
    if (!(await verifyPassword(row?.password_hash ?? null, current))) {
      throw new DomainError('CREDENCIALES_INVALIDAS', 'La clave actual no es correcta');
    }
    if (current === next) throw new ValidationError({ new: 'La clave nueva debe ser distinta de la actual' });
    const hash = await hashPassword(next);
    const id = principal.id;
    await this.deps.db.transactional(async (tx) => {
      await tx.execute(
        'update staff_account set password_hash = ?, must_change_password = false, password_changed_at = ?, updated_at = ? where id = ?',
        [hash, this.now, this.now, id],
      );
      await tx.execute('update staff_session set revoked_at = ? where account_id = ? and revoked_at is null', [this.now, id]);
      await recordAudit(tx, { entityType: 'CUENTA', entityId: id, eventType: 'CLAVE_CAMBIADA', origin, at: this.now });
    });
    return this.openSession(id, principal.totpVerified, { ipAddress: origin.ipAddress ?? null, userAgent: origin.userAgent ?? null }, 'CLAVE_CAMBIADA');
  }

  /** TOTP enrolment, step 1: a new secret (kept sealed, not yet active) and its QR. */
  async enrollTotp(principal: Principal): Promise<{ secret: string; otpauthUrl: string; qrSvg: string }> {
    if (principal.kind !== 'staff' || principal.id === null) throw new DomainError('PROHIBIDO', 'Solo una persona con sesión puede activar TOTP');
    const secret = generateSecret();
    await this.deps.db.execute('update staff_account set totp_secret = ?, updated_at = ? where id = ? and not totp_enabled', [
      this.deps.cipher.encrypt('totp', secret),
      this.now,
      principal.id,
    ]);
    const [row] = await this.deps.db.execute<Array<{ totp_enabled: boolean }>>('select totp_enabled from staff_account where id = ?', [principal.id]);
    if (row?.totp_enabled) throw new DomainError('TRANSICION_INVALIDA', 'TOTP ya está activo en esta cuenta');
    const otpauthUrl = generateURI({ issuer: this.deps.settings.totpIssuer, label: principal.email ?? `cuenta-${principal.id}`, secret });
    return { secret, otpauthUrl, qrSvg: renderSVG(otpauthUrl) };
  }

  /** TOTP enrolment, step 2: a right code turns it on and marks this session verified. */
  async confirmTotp(principal: Principal, input: unknown, origin: Origin): Promise<SessionIssued> {
    if (principal.kind !== 'staff' || principal.id === null) throw new DomainError('PROHIBIDO', 'Solo una persona con sesión puede activar TOTP');
    const code = parseTotpCode(input);
    const [row] = await this.deps.db.execute<Array<{ totp_secret: string | null; totp_enabled: boolean }>>(
      'select totp_secret, totp_enabled from staff_account where id = ?',
      [principal.id],
    );
    if (row?.totp_enabled && !principal.totpVerified && principal.sessionId !== null) return this.verifySessionTotp(principal, row.totp_secret, code, origin);
    if (!row?.totp_secret || row.totp_enabled) throw new DomainError('TRANSICION_INVALIDA', 'Primero pide un secreto nuevo (POST /api/auth/totp/enroll)');
    if (!(await this.checkTotp(row.totp_secret, code))) throw new DomainError('CODIGO_TOTP_INVALIDO', 'El código de verificación no es válido');
    const id = principal.id;
    await this.deps.db.transactional(async (tx) => {
      await tx.execute('update staff_account set totp_enabled = true, updated_at = ? where id = ?', [this.now, id]);
      if (principal.sessionId !== null) await tx.execute('update staff_session set totp_verified = true where id = ?', [principal.sessionId]);
      await recordAudit(tx, { entityType: 'CUENTA', entityId: id, eventType: 'TOTP_ACTIVADO', origin, at: this.now });
    });
    const refreshed = await this.principalForSessionId(principal.sessionId);
    return { token: '', principal: refreshed ?? { ...principal, totpVerified: true, mustEnrolTotp: false } };
  }

  /**
   * A session that signed in without TOTP (through the bank's identity provider, SPEC §18) proves
   * the code of the account's enrolled TOTP. Wrong codes count towards the account's lockout, as
   * at the password sign-in.
   */
  private async verifySessionTotp(principal: Principal, sealed: string | null, code: string, origin: Origin): Promise<SessionIssued> {
    const id = principal.id!;
    const key = principal.email ?? `cuenta-${id}`;
    const locked = await this.accountLimiter.get(key);
    if (locked && locked.consumedPoints >= LOCKOUT_FAILURES) throw tooMany(locked);
    if (!(await this.checkTotp(sealed, code))) {
      const result = await this.accountLimiter.penalty(key, 1);
      if (result.consumedPoints >= LOCKOUT_FAILURES) await this.accountLimiter.block(key, LOCKOUT_MINUTES * 60);
      await this.deps.db.transactional((tx) =>
        recordAudit(tx, {
          entityType: 'CUENTA',
          entityId: id,
          eventType: 'SESION_RECHAZADA',
          origin,
          additionalData: { motivo: 'código TOTP incorrecto tras el proveedor de identidad', intentos: result.consumedPoints },
          at: this.now,
        }),
      );
      this.deps.logger?.warn({ actor: principal.actor, intentos: result.consumedPoints }, 'código TOTP rechazado');
      throw new DomainError('CODIGO_TOTP_INVALIDO', 'El código de verificación no es válido');
    }
    await this.accountLimiter.delete(key);
    await this.deps.db.transactional(async (tx) => {
      await tx.execute('update staff_session set totp_verified = true where id = ?', [principal.sessionId]);
      await recordAudit(tx, { entityType: 'CUENTA', entityId: id, eventType: 'TOTP_VERIFICADO', origin, at: this.now });
    });
    const refreshed = await this.principalForSessionId(principal.sessionId);
    return { token: '', principal: refreshed ?? { ...principal, totpVerified: true, mustVerifyTotp: false } };
  }

  private async principalForSessionId(sessionId: number | null): Promise<Principal | null> {
    if (sessionId === null) return null;
    const [row] = await this.deps.db.execute<Array<{ account_id: string; totp_enabled: boolean; role: StaffRole; totp_verified: boolean }>>(
      'select a.id as account_id, a.totp_enabled, a.role, s.totp_verified from staff_session s join staff_account a on a.id = s.account_id where s.id = ?',
      [sessionId],
    );
    return row
      ? ({ totpVerified: row.totp_verified, mustEnrolTotp: roleNeedsTotp(row.role) && !row.totp_enabled, mustVerifyTotp: row.totp_enabled && !row.totp_verified } as Principal)
      : null;
  }

  private async checkTotp(sealed: string | null, code: string): Promise<boolean> {
    if (!sealed || !/^\d{6}$/.test(code)) return false;
    const secret = this.deps.cipher.decrypt('totp', sealed);
    // One step of tolerance either side for clocks a little apart.
    const result = await verifyTotp({ secret, token: code, epochTolerance: 30, epoch: Math.floor(this.now.getTime() / 1000) });
    return result.valid;
  }

  /** Tests and the desk's enrolment helper: the current code of a secret. */
  static currentCode(secret: string, at: Date): Promise<string> {
    return generateTotp({ secret, epoch: Math.floor(at.getTime() / 1000) });
  }
}

function tooMany(result: RateLimiterRes): DomainError {
  const retryAfter = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
  return new DomainError('DEMASIADOS_INTENTOS', `Demasiados intentos; espera ${Math.ceil(retryAfter / 60)} minutos`, { retryAfter });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[], campos: Record<string, string>): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) campos[key.slice(0, 50)] = 'Campo no permitido';
}

export function normaliseEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  return EMAIL.test(email) && email.length <= 254 ? email : null;
}

function parseBranches(value: unknown, campos: Record<string, string>): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 1000 || !value.every((b) => typeof b === 'string' && b.trim() !== '' && b.length <= 100)) {
    campos.branches = 'Debe ser una lista de sucursales (texto de hasta 100 caracteres)';
    return [];
  }
  return [...new Set(value.map((b: string) => b.trim()))];
}

function parseNewAccount(input: unknown): Required<NewAccount> {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['email', 'name', 'role', 'branches', 'advisorId'], campos);
  const email = normaliseEmail(input.email);
  if (!email) campos.email = 'Debe ser un email válido';
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name || name.length > 200) campos.name = 'El nombre es obligatorio (hasta 200 caracteres)';
  const role = input.role;
  if (typeof role !== 'string' || !(STAFF_ROLES as readonly string[]).includes(role)) campos.role = `Debe ser uno de: ${STAFF_ROLES.join(', ')}`;
  const branches = parseBranches(input.branches, campos);
  const advisorId = input.advisorId === undefined || input.advisorId === null ? null : Number(input.advisorId);
  if (advisorId !== null && (!Number.isSafeInteger(advisorId) || advisorId < 1)) campos.advisorId = 'Debe ser el id de un asesor';
  if (role === 'SUPERVISOR' && branches.length === 0) campos.branches = 'Un SUPERVISOR necesita al menos una sucursal';
  if (role === 'ASESOR' && advisorId === null) campos.advisorId = 'Una cuenta ASESOR se vincula a un asesor (advisorId)';
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { email: email!, name, role: role as StaffRole, branches: role === 'SUPERVISOR' ? branches : [], advisorId: role === 'ASESOR' ? advisorId : null };
}

function parseAccountPatch(input: unknown): { name?: string; role?: StaffRole; branches?: string[]; advisorId?: number | null; active?: boolean } {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['name', 'role', 'branches', 'advisorId', 'active'], campos);
  const out: { name?: string; role?: StaffRole; branches?: string[]; advisorId?: number | null; active?: boolean } = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 200) campos.name = 'Texto de hasta 200 caracteres';
    else out.name = input.name.trim();
  }
  if (input.role !== undefined) {
    if (typeof input.role !== 'string' || !(STAFF_ROLES as readonly string[]).includes(input.role)) campos.role = `Debe ser uno de: ${STAFF_ROLES.join(', ')}`;
    else out.role = input.role as StaffRole;
  }
  if (input.branches !== undefined) out.branches = parseBranches(input.branches, campos);
  if (input.advisorId !== undefined) {
    const id = input.advisorId === null ? null : Number(input.advisorId);
    if (id !== null && (!Number.isSafeInteger(id) || id < 1)) campos.advisorId = 'Debe ser el id de un asesor';
    else out.advisorId = id;
  }
  if (input.active !== undefined) {
    if (input.active !== true) campos.active = 'Solo se admite true (para desactivar, DELETE)';
    else out.active = true;
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return out;
}

function parseSignIn(input: unknown): SignIn {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['email', 'password', 'totp'], campos);
  const email = normaliseEmail(input.email);
  if (!email) campos.email = 'Debe ser un email válido';
  if (typeof input.password !== 'string' || input.password === '' || input.password.length > 1024) campos.password = 'La clave es obligatoria';
  if (input.totp !== undefined && input.totp !== null && input.totp !== '' && (typeof input.totp !== 'string' || !/^\d{6}$/.test(input.totp.trim()))) {
    campos.totp = 'El código son 6 dígitos';
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  const totp = typeof input.totp === 'string' && input.totp.trim() ? input.totp.trim() : undefined;
  return { email: email!, password: input.password as string, totp };
}

function parsePasswordChange(input: unknown): { current: string; next: string } {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['current', 'new'], campos);
  if (typeof input.current !== 'string' || input.current === '' || input.current.length > 1024) campos.current = 'La clave actual es obligatoria';
  if (typeof input.new !== 'string') campos.new = 'La clave nueva es obligatoria';
  else {
    const problem = passwordProblem(input.new);
    if (problem) campos.new = problem;
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { current: input.current as string, next: input.new as string };
}

function parseTotpCode(input: unknown): string {
  if (!isObject(input) || typeof input.code !== 'string' || !/^\d{6}$/.test(input.code.trim())) {
    throw new ValidationError({ code: 'El código son 6 dígitos' });
  }
  return input.code.trim();
}

function parseNewToken(input: unknown, now: Date): { name: string; role: TokenRole; branches: string[]; expiresAt: Date | null } {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['name', 'role', 'branches', 'expiresAt'], campos);
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name || name.length > 100) campos.name = 'El nombre es obligatorio (hasta 100 caracteres)';
  if (typeof input.role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(input.role)) campos.role = `Debe ser uno de: ${TOKEN_ROLES.join(', ')}`;
  const branches = parseBranches(input.branches, campos);
  if ((input.role === 'SUPERVISOR' || input.role === 'KIOSK') && branches.length === 0) campos.branches = 'Este rol necesita al menos una sucursal';
  let expiresAt: Date | null = null;
  if (input.expiresAt !== undefined && input.expiresAt !== null) {
    expiresAt = typeof input.expiresAt === 'string' ? parseInstant(input.expiresAt) : null;
    if (!expiresAt) campos.expiresAt = INSTANT_MESSAGE;
    else if (expiresAt <= now) campos.expiresAt = 'Debe ser una fecha futura';
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { name, role: input.role as TokenRole, branches, expiresAt };
}

function accountState(account: AccountRow): Record<string, string | number | boolean | null | string[]> {
  return {
    email: account.email,
    name: account.name,
    role: account.role,
    advisorId: account.advisorId,
    branches: account.branches,
    active: account.active,
  };
}
