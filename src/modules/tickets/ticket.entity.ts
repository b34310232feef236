import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';
import { between, oneOf } from '../../db/checks.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { TICKET_STATUSES, type TicketStatus } from '../../domain/ticket-status.js';
import { ATENCION_PREFERENTE, type AtencionPreferente } from '../../domain/floor.js';
import { Advisor } from '../advisors/advisor.entity.js';
import { Device } from '../devices/device.entity.js';

export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'ticket',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    codigoReferencia: p.uuid().unique('ticket_codigo_referencia_unique'),
    numero: p.string().length(10),
    // SPEC §14: the seed's national_id / telefono are kept encrypted (AES-256-GCM, `v1:<key id>:…`) with
    // a keyed blind index (HMAC-SHA-256) for lookups; all four are nulled when the holder is erased.
    nationalIdEnc: p.text().nullable(),
    nationalIdBidx: p.blob().nullable().index('idx_ticket_national_id_bidx'),
    telefonoEnc: p.text().nullable(),
    telefonoBidx: p.blob().nullable(),
    branchOffice: p.string().length(100),
    queueType: p.string().length(20).$type<QueueType, string>().index('idx_ticket_queue_type'),
    status: p.string().length(20).$type<TicketStatus, string>().index('idx_ticket_status'),
    positionInQueue: p.integer().index('idx_ticket_position'),
    estimatedWaitMinutes: p.integer(),
    assignedAdvisor: p
      .manyToOne(Advisor)
      .fieldName('assigned_advisor_id')
      .nullable()
      .deleteRule('no action')
      .updateRule('no action')
      .index('idx_ticket_assigned_advisor'),
    assignedModuleNumber: p.integer().nullable(),
    assignedAt: p.datetime().columnType('timestamp').nullable(),
    completedAt: p.datetime().columnType('timestamp').nullable(),
    actualServiceTimeMinutes: p.integer().nullable(),
    // Added to the seed: the branch's calendar day the number belongs to (numbers restart daily).
    serviceDate: p.date(),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
    // The service floor (SPEC §12). assigned_at is the first call; these follow the visit at the desk.
    serviceStartedAt: p.datetime().columnType('timestamp').nullable(),
    recallCount: p.integer().default(0),
    lastCalledAt: p.datetime().columnType('timestamp').nullable(),
    /** Place in line: created_at, or the moment of a transfer to the back of another line. Set by a trigger when omitted. */
    queuedAt: p.datetime().columnType('timestamp'),
    atencionPreferente: p.string().length(20).$type<AtencionPreferente, string>().nullable(),
    /** Waiting for this advisor only (a transfer to a named advisor). */
    reservedAdvisor: p
      .manyToOne(Advisor)
      .fieldName('reserved_advisor_id')
      .nullable()
      .deleteRule('set null')
      .updateRule('no action')
      .index(false),
    /** Why the system ended it (`cierre del día`), when nobody did. */
    endReason: p.string().length(100).nullable(),
    rating: p.smallint().nullable(),
    /** The Telegram chat that took the ticket in the bot (SPEC §22): it owns the ticket. */
    chatId: p.bigint('number').nullable(),
    ratedAt: p.datetime().columnType('timestamp').nullable(),
    /** The kiosk device whose token took it (SPEC §17); null for the bot, integration keys and tokens. */
    device: p.manyToOne(Device).fieldName('device_id').nullable().deleteRule('set null').updateRule('no action').index(false),
  }),
  checks: [
    { name: 'ticket_queue_type_check', expression: oneOf('queue_type', QUEUE_TYPES) },
    { name: 'ticket_status_check', expression: oneOf('status', TICKET_STATUSES) },
    { name: 'ticket_assigned_module_number_check', expression: between('assigned_module_number', 1, 99) },
    { name: 'ticket_atencion_preferente_check', expression: oneOf('atencion_preferente', ATENCION_PREFERENTE) },
    { name: 'ticket_rating_check', expression: between('rating', 1, 5) },
    { name: 'ticket_recall_count_check', expression: 'recall_count >= 0' },
  ],
  indexes: [
    {
      name: 'idx_ticket_telefono_bidx',
      expression: 'create index "idx_ticket_telefono_bidx" on "ticket" ("telefono_bidx") where telefono_bidx is not null',
    },
    { name: 'idx_ticket_created_at', expression: 'create index "idx_ticket_created_at" on "ticket" ("created_at" desc)' },
    { name: 'idx_ticket_queue_status', properties: ['queueType', 'status'] },
    {
      // A chat's tickets: /misdatos, /borrar and the per-chat rate limit (SPEC §22).
      name: 'idx_ticket_chat',
      expression: 'create index "idx_ticket_chat" on "ticket" ("chat_id", "created_at") where chat_id is not null',
    },
    {
      // The estimator's service statistics: the customers completed in the recent weeks, without a scan of the year.
      name: 'idx_ticket_completed_at',
      expression: `create index "idx_ticket_completed_at" on "ticket" ("completed_at") where status = 'COMPLETADO'`,
    },
    {
      // The hot path: waiting tickets of one branch and queue in arrival order.
      name: 'idx_ticket_waiting',
      expression:
        `create index "idx_ticket_waiting" on "ticket" ("branch_office", "queue_type", "queued_at", "id") ` +
        `where status in ('EN_ESPERA', 'PROXIMO') and reserved_advisor_id is null`,
    },
    {
      // The oldest waiting preferential ticket of a queue: one probe per call.
      name: 'idx_ticket_waiting_preferente',
      expression:
        `create index "idx_ticket_waiting_preferente" on "ticket" ("branch_office", "queue_type", "queued_at", "id") ` +
        `where status in ('EN_ESPERA', 'PROXIMO') and reserved_advisor_id is null and atencion_preferente is not null`,
    },
    {
      name: 'idx_ticket_reserved_advisor',
      expression:
        `create index "idx_ticket_reserved_advisor" on "ticket" ("reserved_advisor_id", "queued_at", "id") ` +
        `where reserved_advisor_id is not null and status in ('EN_ESPERA', 'PROXIMO')`,
    },
  ],
  uniques: [
    { name: 'uq_ticket_branch_day_numero', properties: ['branchOffice', 'serviceDate', 'numero'] },
    {
      // One active ticket per RUT (by its blind index), enforced by the database whatever the caller does.
      name: 'uq_ticket_active_national_id_bidx',
      expression:
        `create unique index "uq_ticket_active_national_id_bidx" on "ticket" ("national_id_bidx") ` +
        `where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`,
    },
    {
      // One active ticket per chat, whatever RUTs it has used (SPEC §22).
      name: 'uq_ticket_active_chat',
      expression:
        `create unique index "uq_ticket_active_chat" on "ticket" ("chat_id") ` +
        `where chat_id is not null and status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`,
    },
    {
      // An advisor serves one customer at a time, whatever the code above does.
      name: 'uq_ticket_advisor_serving',
      expression:
        `create unique index "uq_ticket_advisor_serving" on "ticket" ("assigned_advisor_id") ` +
        `where status = 'ATENDIENDO'`,
    },
  ],
});
