import type { StaffRole, TokenRole } from './account.entities.js';
import type { DeviceKind } from '../devices/device.entity.js';
import type { Origin } from '../audit/audit.service.js';

/**
 * Whoever a request acts for (SPEC §18), however it arrived: a signed-in person, an integration
 * token, a branch's device (SPEC §17), the break-glass ADMIN_API_KEY or the all-branches KIOSK_API_KEY. Services and the audit
 * see only this value, never headers or cookies.
 */
export interface Principal {
  kind: 'staff' | 'token' | 'device' | 'apikey' | 'kiosk-key';
  /** The account's, token's or device's id; null for the configured keys. */
  id: number | null;
  /** The audit's actor: `staff:<id>`, `token:<id>`, `device:<id>`, `apikey`, `KIOSK`. */
  actor: string;
  /** A device acts as its kind: KIOSK (takes numbers) or SCREEN (a waiting-room screen). */
  role: StaffRole | TokenRole | DeviceKind;
  /** The branches (their names) this principal may touch; 'ALL' for ADMIN, AUDITOR and the keys. */
  branches: 'ALL' | readonly string[];
  /** ASESOR: the advisor whose desk they work. */
  advisorId: number | null;
  email: string | null;
  name: string | null;
  /** Staff only: the session behind this request. */
  sessionId: number | null;
  /** The session proved a TOTP code (at sign-in or enrolment). */
  totpVerified: boolean;
  /** The session may do nothing but change its password / enrol TOTP first. */
  mustChangePassword: boolean;
  mustEnrolTotp: boolean;
  /**
   * The account has TOTP but this session has not proved a code: a sign-in through the bank's
   * identity provider (SPEC §18 asks TOTP of ADMIN and whoever may export personal data, however
   * they sign in). Nothing else until `POST /api/auth/totp/confirm`.
   */
  mustVerifyTotp: boolean;
}

/** ADMIN, and whoever may export personal data, need TOTP (SPEC §18). */
export function roleNeedsTotp(role: StaffRole): boolean {
  return role === 'ADMIN' || role === 'SUPERVISOR';
}

export function mayTouchBranch(principal: Principal, branch: string): boolean {
  return principal.branches === 'ALL' || principal.branches.includes(branch);
}

/** The audit's origin of a principal's request. */
export function originFor(principal: Principal, request: { ipAddress: string | null; userAgent: string | null }): Origin {
  return { actor: principal.actor, email: principal.email, ipAddress: request.ipAddress, userAgent: request.userAgent };
}

export function breakGlassPrincipal(): Principal {
  return {
    kind: 'apikey',
    id: null,
    actor: 'apikey',
    role: 'ADMIN',
    branches: 'ALL',
    advisorId: null,
    email: null,
    name: 'ADMIN_API_KEY',
    sessionId: null,
    totpVerified: true,
    mustChangePassword: false,
    mustEnrolTotp: false,
    mustVerifyTotp: false,
  };
}

export function kioskKeyPrincipal(): Principal {
  return { ...breakGlassPrincipal(), kind: 'kiosk-key', actor: 'KIOSK', role: 'KIOSK', name: 'KIOSK_API_KEY' };
}
