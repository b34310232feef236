import type { StaffRole, TokenRole } from '../../modules/accounts/account.entities.js';
import type { DeviceKind } from '../../modules/devices/device.entity.js';

export type Role = StaffRole | TokenRole | DeviceKind;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a route finds the branch it touches, so a SUPERVISOR (or a kiosk token) is held to theirs. */
export type BranchScope =
  /**
   * A query parameter. Absent: `default` = the default branch; `required` = a branch-bound principal
   * must name one; `own` = the handler uses the principal's own first branch.
   */
  | { from: 'query'; name: string; absent: 'default' | 'required' | 'own' }
  /** The advisor in the path (`:id`): their branch; an ASESOR only their own desk. */
  | { from: 'advisor'; param: string }
  /** The person (RUT) in the path: a branch where they have a ticket. */
  | { from: 'person'; param: string }
  /** A JSON body field; absent means the principal's own branch (a kiosk token) or the default. */
  | { from: 'body'; field: string }
  /** The branch code in the path (`/branches/:code/…`). */
  | { from: 'branchCode'; param: string }
  /** The device in the path (`/devices/:id`): its branch. */
  | { from: 'device'; param: string }
  /**
   * A query parameter naming a branch by its code or its name (the reports, SPEC §20). Absent or
   * unknown: the handler answers 400 naming it.
   */
  | { from: 'queryBranch'; name: string };

export interface RoutePermission {
  method: Method;
  /** The Hono route pattern, exactly as the app registers it. */
  path: string;
  /** Who may call it; 'public' needs nobody. */
  allow: 'public' | readonly Role[];
  scope?: BranchScope;
  /** A TOTP-verified session (SPEC §18: exporting or erasing a person). */
  totp?: true;
  /** Allowed to a session that must still change its password or enrol TOTP (the sign-in endpoints). */
  whilePending?: true;
  /** Development only: open without any credential when KIOSK_API_KEY is unset (the seed's kiosk). */
  openInDevelopment?: true;
}

const ANY_STAFF: readonly Role[] = ['ADMIN', 'SUPERVISOR', 'ASESOR', 'AUDITOR'];
const FLOOR_READ: readonly Role[] = ['ADMIN', 'SUPERVISOR', 'ASESOR'];
const FLOOR_ACT: readonly Role[] = ['ADMIN', 'SUPERVISOR', 'ASESOR'];
const MANAGERS: readonly Role[] = ['ADMIN', 'SUPERVISOR'];
const AUDIT: readonly Role[] = ['ADMIN', 'AUDITOR'];
const KIOSK: readonly Role[] = ['KIOSK', 'ADMIN'];

const branchQuery: BranchScope = { from: 'query', name: 'branchOffice', absent: 'default' };
const branchQueryRequired: BranchScope = { from: 'query', name: 'branchOffice', absent: 'required' };
const advisor: BranchScope = { from: 'advisor', param: 'id' };
const ownBranchQuery: BranchScope = { from: 'query', name: 'branchOffice', absent: 'own' };

/**
 * Who may do what (SPEC §18), for every route of the app, in one table. `authorize` decides from
 * it and nothing else; test/integration/route-role-matrix.test.ts walks the app's route table
 * for every role against it, so a route without an entry fails the build.
 */
export const ROUTE_PERMISSIONS: readonly RoutePermission[] = [
  // Open doors
  { method: 'GET', path: '/api/health', allow: 'public' },
  { method: 'GET', path: '/openapi.json', allow: 'public' },
  { method: 'GET', path: '/metrics', allow: 'public' }, // METRICS_API_KEY / loopback, checked by its own route
  { method: 'GET', path: '/static/:name', allow: 'public' },
  { method: 'GET', path: '/pantalla', allow: 'public' },
  // SPEC §19: the tótem's page (its data comes through the kiosk credential)
  { method: 'GET', path: '/totem', allow: 'public' },
  { method: 'GET', path: '/pantalla/stream', allow: 'public' },
  { method: 'POST', path: '/telegram/webhook', allow: 'public' }, // grammY checks the secret token

  // Sign-in (SPEC §18)
  { method: 'GET', path: '/ingresar', allow: 'public' },
  { method: 'POST', path: '/api/auth/login', allow: 'public' },
  // Single sign-on with the bank's identity provider (OpenID Connect): the provider vouches, the callback checks
  { method: 'GET', path: '/api/auth/sso', allow: 'public' },
  { method: 'GET', path: '/api/auth/sso/start', allow: 'public' },
  { method: 'GET', path: '/api/auth/sso/callback', allow: 'public' },
  // SPEC §22: "Verificar mi RUT" — the bot's single-use link and the customer's identity provider's return
  { method: 'GET', path: '/verificar-rut/callback', allow: 'public' },
  { method: 'GET', path: '/verificar-rut/:token', allow: 'public' },
  { method: 'POST', path: '/api/auth/logout', allow: ANY_STAFF, whilePending: true },
  { method: 'GET', path: '/api/auth/me', allow: ANY_STAFF, whilePending: true },
  { method: 'POST', path: '/api/auth/password', allow: ANY_STAFF, whilePending: true },
  { method: 'POST', path: '/api/auth/totp/enroll', allow: ANY_STAFF, whilePending: true },
  { method: 'POST', path: '/api/auth/totp/confirm', allow: ANY_STAFF, whilePending: true },

  // The kiosk (SPEC §7, §17: a kiosk credential opens its own branch only)
  { method: 'POST', path: '/api/tickets', allow: KIOSK, scope: { from: 'body', field: 'branchOffice' }, openInDevelopment: true },
  { method: 'GET', path: '/api/tickets/:numero/position', allow: KIOSK, scope: branchQuery, openInDevelopment: true },
  { method: 'GET', path: '/api/tickets/:codigoReferencia', allow: KIOSK, openInDevelopment: true },
  { method: 'POST', path: '/api/tickets/:codigoReferencia/cancel', allow: KIOSK, openInDevelopment: true },
  { method: 'GET', path: '/api/totem/estado', allow: KIOSK, openInDevelopment: true },

  // Supervision reads (SPEC §7)
  // Absent branchOffice: the default branch, or a branch-bound principal's own first
  { method: 'GET', path: '/api/admin/dashboard', allow: FLOOR_READ, scope: ownBranchQuery },
  { method: 'GET', path: '/api/admin/dashboard/history', allow: FLOOR_READ, scope: ownBranchQuery },
  { method: 'GET', path: '/api/admin/summary', allow: AUDIT },
  { method: 'GET', path: '/api/admin/queues/:type', allow: FLOOR_READ, scope: branchQuery },
  { method: 'GET', path: '/api/admin/queues/:type/stats', allow: FLOOR_READ, scope: branchQuery },
  { method: 'GET', path: '/api/admin/advisors', allow: MANAGERS, scope: branchQueryRequired },
  { method: 'GET', path: '/api/admin/advisors/stats', allow: MANAGERS, scope: branchQuery },
  { method: 'GET', path: '/api/admin/audit', allow: AUDIT },

  // Floor actions on an advisor's desk (SPEC §12): an ASESOR only on their own
  { method: 'PUT', path: '/api/admin/advisors/:id/status', allow: FLOOR_ACT, scope: advisor },
  { method: 'PUT', path: '/api/admin/advisors/:id/complete-ticket', allow: FLOOR_ACT, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/arrived', allow: FLOOR_ACT, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/recall', allow: FLOOR_ACT, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/transfer', allow: FLOOR_ACT, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/call', allow: FLOOR_ACT, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/link-code', allow: FLOOR_ACT, scope: advisor },
  { method: 'GET', path: '/api/admin/advisors/:id/plan', allow: MANAGERS, scope: advisor },
  { method: 'PUT', path: '/api/admin/advisors/:id/plan', allow: MANAGERS, scope: advisor },

  // Personal data (SPEC §14, §18): TOTP-verified, a branch where the person has a ticket, a motivo
  { method: 'GET', path: '/api/admin/personas/:rut', allow: MANAGERS, scope: { from: 'person', param: 'rut' }, totp: true },
  { method: 'DELETE', path: '/api/admin/personas/:rut', allow: MANAGERS, scope: { from: 'person', param: 'rut' }, totp: true },

  // The organisation as data (SPEC §17, §18): only ADMIN manages branches (a SUPERVISOR reads their
  // own, filtered by the handler); ADMIN, or a SUPERVISOR of the advisor's branch, manages staff (the
  // branch a body names or a move goes to is checked by the handler)
  { method: 'GET', path: '/api/admin/branches', allow: MANAGERS },
  { method: 'POST', path: '/api/admin/branches', allow: ['ADMIN'] },
  { method: 'GET', path: '/api/admin/branches/:code', allow: MANAGERS },
  { method: 'PATCH', path: '/api/admin/branches/:code', allow: ['ADMIN'] },
  { method: 'POST', path: '/api/admin/advisors', allow: MANAGERS },
  { method: 'PATCH', path: '/api/admin/advisors/:id', allow: MANAGERS, scope: advisor },
  { method: 'DELETE', path: '/api/admin/advisors/:id', allow: MANAGERS, scope: advisor },
  { method: 'POST', path: '/api/admin/advisors/:id/reactivate', allow: MANAGERS, scope: advisor },
  // SPEC §17, §18: the bulk import of branches and staff, ADMIN only
  { method: 'POST', path: '/api/admin/import', allow: ['ADMIN'] },

  // Accounts and tokens (SPEC §18): a SUPERVISOR manages ASESOR accounts of their branches (checked by the service)
  { method: 'GET', path: '/api/admin/accounts', allow: MANAGERS },
  { method: 'POST', path: '/api/admin/accounts', allow: MANAGERS },
  { method: 'PATCH', path: '/api/admin/accounts/:id', allow: MANAGERS },
  { method: 'DELETE', path: '/api/admin/accounts/:id', allow: MANAGERS },
  { method: 'POST', path: '/api/admin/accounts/:id/revoke-sessions', allow: MANAGERS },
  { method: 'GET', path: '/api/admin/tokens', allow: ['ADMIN'] },
  { method: 'POST', path: '/api/admin/tokens', allow: ['ADMIN'] },
  { method: 'DELETE', path: '/api/admin/tokens/:id', allow: ['ADMIN'] },

  // Devices (SPEC §17, §18): only ADMIN creates them or sets a printer; a SUPERVISOR lists and revokes their branches' own
  { method: 'GET', path: '/api/admin/branches/:code/devices', allow: MANAGERS, scope: { from: 'branchCode', param: 'code' } },
  { method: 'POST', path: '/api/admin/branches/:code/devices', allow: ['ADMIN'] },
  { method: 'PATCH', path: '/api/admin/devices/:id', allow: ['ADMIN'] },
  { method: 'DELETE', path: '/api/admin/devices/:id', allow: MANAGERS, scope: { from: 'device', param: 'id' } },

  // Reports (SPEC §20): a SUPERVISOR only their granted branches; the national view for ADMIN and AUDITOR
  { method: 'GET', path: '/api/admin/reports/branch', allow: ['ADMIN', 'SUPERVISOR', 'AUDITOR'], scope: { from: 'queryBranch', name: 'branch' } },
  { method: 'GET', path: '/api/admin/reports/intraday', allow: ['ADMIN', 'SUPERVISOR', 'AUDITOR'], scope: { from: 'queryBranch', name: 'branch' } },
  { method: 'GET', path: '/api/admin/reports/national', allow: AUDIT },

  // The advisor's web desk (SPEC §18): an ASESOR, always on the desk linked to their account
  { method: 'GET', path: '/escritorio', allow: 'public' }, // the page itself; it sends the signed-out to /ingresar
  { method: 'GET', path: '/escritorio/api/estado', allow: ['ASESOR'] },
  { method: 'GET', path: '/escritorio/api/stream', allow: ['ASESOR'] },
  { method: 'POST', path: '/escritorio/api/:action', allow: ['ASESOR'] },

  // The supervisor's pages (signed in by session): their data and actions are the admin API's
  { method: 'GET', path: '/supervisor', allow: 'public' }, // the page itself; it sends the signed-out to /ingresar
  { method: 'GET', path: '/supervisor/reportes', allow: 'public' }, // the reports page (SPEC §20); its data comes from /api/admin/reports/*
  { method: 'GET', path: '/supervisor/vendor/echarts.min.js', allow: 'public' }, // the charts library, served from node_modules
];

export function permissionKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export const PERMISSIONS_BY_ROUTE: ReadonlyMap<string, RoutePermission> = new Map(
  ROUTE_PERMISSIONS.map((entry) => [permissionKey(entry.method, entry.path), entry]),
);
