/** SPEC §18: who a person is when they sign in. */
export const STAFF_ROLES = ['ADMIN', 'SUPERVISOR', 'ASESOR', 'AUDITOR'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What an integration token may act as: a staff role, or a kiosk of its branches. */
export const TOKEN_ROLES = ['ADMIN', 'SUPERVISOR', 'AUDITOR', 'KIOSK'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
