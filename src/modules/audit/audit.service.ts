import type { EntityManager } from '@mikro-orm/postgresql';
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
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];
export type EntityType = 'TICKET' | 'ADVISOR' | 'MENSAJE' | 'SISTEMA';

/** Who did it: `SYSTEM`, `KIOSK`, an advisor's email or `telegram:<id>`. */
export type Actor = 'SYSTEM' | 'KIOSK' | `telegram:${number}` | (string & {});

/** Where an HTTP-originated change came from. */
export interface Origin {
  actor: Actor;
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

/** Writes the audit row inside the caller's transaction, so it commits or rolls back with the change. */
export async function recordAudit(em: EntityManager, entry: AuditEntry): Promise<void> {
  await em.execute(
    `insert into audit_log (entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
       ip_address, user_agent, created_at)
     values (?, ?, ?, ?, ?::json, ?::json, ?::json, ?, ?, ?)`,
    [
      entry.entityType,
      String(entry.entityId),
      entry.eventType,
      entry.origin.actor.slice(0, 100),
      json(entry.oldState),
      json(entry.newState),
      json(entry.additionalData),
      entry.origin.ipAddress?.slice(0, 45) ?? null,
      entry.origin.userAgent?.slice(0, 500) ?? null,
      entry.at,
    ],
  );
}
