import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { oneOf } from '../../db/checks.js';
import { Ticket } from '../tickets/ticket.entity.js';

export const PLANTILLAS = [
  'TOTEM_TICKET_CREADO',
  'TOTEM_PROXIMO_TURNO',
  'TOTEM_ES_TU_TURNO',
  // The service floor (SPEC §12)
  'TOTEM_RELLAMADO',
  'TOTEM_TRANSFERIDO',
  'TOTEM_ENCUESTA',
  'TOTEM_CIERRE_DIA',
] as const;
export type Plantilla = (typeof PLANTILLAS)[number];
export const ESTADOS_ENVIO = ['PENDIENTE', 'ENVIADO', 'FALLIDO'] as const;
export type EstadoEnvio = (typeof ESTADOS_ENVIO)[number];

export const Mensaje = defineEntity({
  name: 'Mensaje',
  tableName: 'mensaje',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').deleteRule('cascade').updateRule('no action').index('idx_mensaje_ticket_id'),
    plantilla: p.string().length(50).$type<Plantilla, string>().index('idx_mensaje_plantilla'),
    estadoEnvio: p.string().length(20).$type<EstadoEnvio, string>(),
    fechaProgramada: p.datetime().columnType('timestamp'),
    fechaEnvio: p.datetime().columnType('timestamp').nullable(),
    telegramMessageId: p.string().length(50).nullable(),
    intentos: p.integer().default(0).index('idx_mensaje_intentos'),
    errorMessage: p.text().nullable(),
    /** Waits that spent no attempt (Telegram's 5xx or a network error, SPEC §15): the backoff's step. */
    esperas: p.integer().default(0),
    createdAt: createdAtColumn(),
    /** What a template needs beyond the ticket's row, fixed when the message was planned (e.g. "Llamado 2 de 3"). */
    datos: p.json<Record<string, string | number>>().columnType('json').nullable(),
  }),
  checks: [
    { name: 'mensaje_plantilla_check', expression: oneOf('plantilla', PLANTILLAS) },
    { name: 'mensaje_estado_envio_check', expression: oneOf('estado_envio', ESTADOS_ENVIO) },
  ],
  indexes: [
    { name: 'idx_mensaje_estado_fecha', properties: ['estadoEnvio', 'fechaProgramada'] },
    // The dispatcher's claims: the next due message (and "your turn" first) is the first index
    // entry, and "no earlier message of the ticket still pending" is one probe.
    {
      name: 'idx_mensaje_pendiente_fecha',
      expression: `create index "idx_mensaje_pendiente_fecha" on "mensaje" ("fecha_programada", "id") where estado_envio = 'PENDIENTE'`,
    },
    {
      name: 'idx_mensaje_pendiente_turno',
      expression:
        `create index "idx_mensaje_pendiente_turno" on "mensaje" ("fecha_programada", "id") ` +
        `where estado_envio = 'PENDIENTE' and plantilla = 'TOTEM_ES_TU_TURNO'`,
    },
    {
      name: 'idx_mensaje_pendiente_ticket',
      expression: `create index "idx_mensaje_pendiente_ticket" on "mensaje" ("ticket_id", "id") where estado_envio = 'PENDIENTE'`,
    },
  ],
});
