import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';

export type JsonObject = Record<string, unknown>;

const auditColumns = {
  entityType: p.string().length(50),
  entityId: p.string().length(50),
  eventType: p.string().length(50),
  actor: p.string().length(100).nullable(),
  oldState: p.json<JsonObject>().columnType('json').nullable(),
  newState: p.json<JsonObject>().columnType('json').nullable(),
  additionalData: p.json<JsonObject>().columnType('json').nullable(),
  ipAddress: p.string().length(45).nullable(),
  userAgent: p.string().length(500).nullable(),
  createdAt: createdAtColumn(),
};

/**
 * Partitioned by month on created_at (migration 20261130130100, SPEC §16): PostgreSQL wants the
 * partition key in the primary key, so it is (id, created_at); ids still come from one sequence.
 * The partitions themselves are made by src/modules/audit/audit-partitions.ts, not by entities.
 */
export const AuditLog = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    ...auditColumns,
    createdAt: createdAtColumn().primary(),
  },
  indexes: [
    { name: 'idx_audit_entity', properties: ['entityType', 'entityId'] },
    { name: 'idx_audit_event_type', properties: ['eventType'] },
    { name: 'idx_audit_created_at', expression: 'create index "idx_audit_created_at" on "audit_log" ("created_at" desc)' },
    { name: 'idx_audit_actor', properties: ['actor'] },
  ],
});

/** Rows older than a year move here, ids kept, so the live table stays small. */
export const AuditLogArchive = defineEntity({
  name: 'AuditLogArchive',
  tableName: 'audit_log_archive',
  properties: {
    id: p.bigint('number').primary().autoincrement(false),
    ...auditColumns,
  },
  indexes: [
    { name: 'idx_audit_archive_entity', properties: ['entityType', 'entityId'] },
    { name: 'idx_audit_archive_created_at', properties: ['createdAt'] },
  ],
});
