import type { Queryable } from '../../db/sql.js';
import type { JsonObject } from './audit-log.entity.js';

export const AUDIT_EVENTS = [
  'TICKET_CREADO',
  'TICKET_ASIGNADO',
  'TICKET_COMPLETADO',
  'TICKET_CANCELADO',
  'TICKET_NO_ATENDIDO',
  'ADVISOR_STATUS_CHANGED',
  'ADVISOR_ASSIGNED',
  'ADVISOR_FREED',
  'MENSAJE_ENVIADO',
  'MENSAJE_FALLIDO',
  'MENSAJE_REINTENTADO',
  'SISTEMA_INICIADO',
  'SCHEDULER_ERROR',
  // SPEC §14: the holder's rights, with the RUT masked
  'DATOS_EXPORTADOS',
  'DATOS_ELIMINADOS',
  // The service floor (SPEC §12)
  'TICKET_ATENCION_INICIADA',
  'TICKET_RELLAMADO',
  'TICKET_TRANSFERIDO',
  'TICKET_LLAMADO_FUERA_DE_ORDEN',
  'TICKET_EVALUADO',
  // SPEC §13: an advisor's planned hours changed.
  'ADVISOR_PLAN_CHANGED',
  // SPEC §19: a chat linked a ticket with its QR token or short code.
  'TICKET_VINCULADO',
  // SPEC §18: accounts, sign-in and who read a person's data
  'CUENTA_CREADA',
  'CUENTA_MODIFICADA',
  'CUENTA_DESACTIVADA',
  'SESION_INICIADA',
  'SESION_RECHAZADA',
  'SESION_CERRADA',
  'SESIONES_REVOCADAS',
  'CLAVE_CAMBIADA',
  'TOTP_ACTIVADO',
  // SPEC §18: a session that signed in through the identity provider proved its TOTP code
  'TOTP_VERIFICADO',
  // SPEC §22: the customer's identity provider vouched for a chat's RUT
  'RUT_VERIFICADO',
  'TOKEN_CREADO',
  'TOKEN_REVOCADO',
  'DATOS_CONSULTADOS',
  // SPEC §17: a branch's devices (tótems and screens) and their tokens
  'DISPOSITIVO_CREADO',
  'DISPOSITIVO_MODIFICADO',
  'DISPOSITIVO_REVOCADO',
  // SPEC §17: branches and staff as data, and the bulk import
  'SUCURSAL_CREADA',
  'SUCURSAL_MODIFICADA',
  'ASESOR_CREADO',
  'ASESOR_MODIFICADO',
  'ASESOR_DESACTIVADO',
  'ASESOR_REACTIVADO',
  'IMPORTACION_APLICADA',
  // SPEC §19: a tótem's printer changed state (out of paper, not answering, printing again)
  'IMPRESORA_SIN_PAPEL',
  'IMPRESORA_DESCONECTADA',
  'IMPRESORA_REPUESTA',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];
export type EntityType = 'TICKET' | 'ADVISOR' | 'MENSAJE' | 'SISTEMA' | 'PERSONA' | 'CUENTA' | 'TOKEN' | 'DISPOSITIVO' | 'SUCURSAL' | 'IMPORTACION';

/**
 * Who did it (SPEC §18): `staff:<id>`, `device:<id>`, `token:<id>`, `telegram:<chat>`, `apikey`
 * (the break-glass ADMIN_API_KEY), `KIOSK` (the all-branches KIOSK_API_KEY) or `SYSTEM`.
 */
export type Actor = 'SYSTEM' | 'KIOSK' | 'apikey' | `telegram:${number}` | `staff:${number}` | `token:${number}` | (string & {});

/** Where an HTTP-originated change came from. */
export interface Origin {
  actor: Actor;
  /** A signed-in person's email, kept in additional_data beside the actor. */
  email?: string | null;
  /** Why personal data was read or erased (SPEC §18), kept in additional_data. */
  motivo?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
}

export interface AuditEntry {
  entityType: EntityType;
  entityId: string | number;
  eventType: AuditEvent;
  origin: Origin;
  oldState?: JsonObject | null;
  newState?: JsonObject | null;
  additionalData?: JsonObject | null;
  at: Date;
}

const json = (value: JsonObject | null | undefined): string | null => (value == null ? null : JSON.stringify(value));

function withOrigin(data: JsonObject | null | undefined, origin: Origin): JsonObject | null | undefined {
  if (!origin.email && !origin.motivo) return data;
  return { ...(data ?? {}), ...(origin.email ? { email: origin.email } : {}), ...(origin.motivo ? { motivo: origin.motivo } : {}) };
}

/** The audit row's columns after `entity_id`, as bound parameters (see AUDIT_VALUES). */
export function auditParams(entry: Omit<AuditEntry, 'entityType' | 'entityId'>): unknown[] {
  return [
    entry.eventType,
    entry.origin.actor.slice(0, 100),
    json(entry.oldState),
    json(entry.newState),
    // SPEC §18: a person's actor is `staff:<id>`; their email travels beside it.
    json(withOrigin(entry.additionalData, entry.origin)),
    entry.origin.ipAddress?.slice(0, 45) ?? null,
    entry.origin.userAgent?.slice(0, 500) ?? null,
    entry.at,
  ];
}

export const AUDIT_COLUMNS = `entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
  ip_address, user_agent, created_at`;
/** Placeholders for auditParams, after entity type and id. */
export const AUDIT_VALUES = `?, ?, ?::json, ?::json, ?::json, ?, ?, ?`;

/** Writes the audit row inside the caller's transaction, so it commits or rolls back with the change. */
export async function recordAudit(em: Queryable, entry: AuditEntry): Promise<void> {
  await em.execute(`insert into audit_log (${AUDIT_COLUMNS}) values (?, ?, ${AUDIT_VALUES})`, [
    entry.entityType,
    String(entry.entityId),
    ...auditParams(entry),
  ]);
}
