import { z } from '@hono/zod-openapi';
import { INSTANT_MESSAGE, parseInstant } from '../../domain/input-dates.js';
import { isQueueType, QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { TICKET_STATUSES } from '../../domain/ticket-status.js';
import { hasControlCharacters } from '../../errors.js';
import { AUDIT_EVENTS } from '../../modules/audit/audit.service.js';

/* The supervision API's requests and answers (SPEC §7): one schema each, which validates and documents. */

const branchMessage = 'La sucursal debe ser un texto de 1 a 100 caracteres';

/** `?branchOffice=`: blank is the default branch (null). */
export const branchOfficeQuery = z
  .string()
  .max(100, { error: branchMessage })
  .refine((value) => !hasControlCharacters(value), { error: 'La sucursal contiene caracteres no permitidos' })
  .optional()
  .transform((value) => value?.trim() || null)
  .openapi({ type: 'string', description: 'La sucursal (por omisión BRANCH_OFFICE, o la primera de quien está limitado a otras)' });

export const BranchQuery = z.object({ branchOffice: branchOfficeQuery });

/** A queue in the path, in any case (`personal_banker`). */
export const QueueTypeParams = z.object({
  type: z
    .string()
    .transform((value) => value.toUpperCase())
    .refine((value): value is QueueType => isQueueType(value), { error: `El tipo de cola debe ser uno de: ${QUEUE_TYPES.join(', ')}` })
    .openapi({ param: { name: 'type', in: 'path' }, type: 'string', enum: [...QUEUE_TYPES], example: 'CAJA' }),
});

/** `?includeInactive=true` lists deactivated advisors too (SPEC §17). */
export const AdvisorListQuery = z.object({
  branchOffice: branchOfficeQuery,
  includeInactive: z.enum(['true', 'false'], { error: 'Debe ser true o false' }).optional(),
});

const auditText = (max: number) =>
  z
    .string()
    .max(max, { error: `Admite hasta ${max} caracteres` })
    .refine((value) => !hasControlCharacters(value), { error: 'No admite caracteres de control' })
    .optional()
    .transform((value) => value?.trim() || undefined);

const instant = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (!value) return undefined;
    const parsed = parseInstant(value);
    if (!parsed) ctx.addIssue({ code: 'custom', message: INSTANT_MESSAGE });
    return parsed ?? undefined;
  })
  .openapi({ type: 'string', format: 'date-time' });

const positiveUpTo = (max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value) return undefined;
      const parsed = Number(value);
      if (!/^\d+$/.test(value) || parsed < 1 || parsed > max) ctx.addIssue({ code: 'custom', message: `Debe ser un entero entre 1 y ${max}` });
      return parsed;
    })
    .openapi({ type: 'integer', minimum: 1, maximum: max });

/** The audit trail's filters and keyset paging (SPEC §18). */
export const AuditQuery = z.object({
  entityType: auditText(50),
  entityId: auditText(50),
  eventType: auditText(50).refine((value) => value === undefined || (AUDIT_EVENTS as readonly string[]).includes(value), {
    error: `Debe ser uno de: ${AUDIT_EVENTS.join(', ')}`,
  }),
  actor: auditText(100),
  from: instant,
  to: instant,
  limit: positiveUpTo(500).transform((value) => value ?? 50),
  before: positiveUpTo(Number.MAX_SAFE_INTEGER),
});

const queueAlert = z.object({
  type: z.enum(['COLA_CRITICA', 'COLA_SIN_ASESORES']),
  queueType: z.enum(QUEUE_TYPES),
  branchOffice: z.string(),
  waiting: z.number().int(),
  mensaje: z.string(),
});
const pauseAlert = z.object({
  type: z.literal('PAUSA_PROLONGADA'),
  branchOffice: z.string(),
  advisorId: z.number().int(),
  advisorName: z.string(),
  reason: z.string().nullable(),
  minutes: z.number().int(),
  mensaje: z.string(),
});
const printerAlert = z.object({
  type: z.enum(['TOTEM_SIN_PAPEL', 'IMPRESORA_DESCONECTADA']),
  branchOffice: z.string(),
  deviceId: z.number().int(),
  deviceName: z.string(),
  since: z.string().openapi({ format: 'date-time' }),
  mensaje: z.string(),
});
export const AlertSchema = z.union([queueAlert, pauseAlert, printerAlert]).openapi('Alerta');

const minutes = z.number().nullable();
const share = z.number().min(0).max(1).nullable();

export const QueueFiguresSchema = z
  .strictObject({
    queueType: z.enum(QUEUE_TYPES),
    waiting: z.number().int(),
    attending: z.number().int(),
    advisorsOnline: z.number().int(),
    estimatedWaitMinutes: z.number().int().openapi({ description: 'Lo que se diría a quien saque número ahora' }),
    longestWaitMinutes: z.number().int(),
    createdToday: z.number().int(),
    completedToday: z.number().int(),
    cancelledToday: z.number().int(),
    noShowToday: z.number().int(),
    calledToday: z.number().int(),
    averageWaitMinutesToday: minutes,
    averageServiceMinutesToday: minutes,
    servedToday: z.number().int(),
    ratingsToday: z.number().int(),
    averageRatingToday: z.number().nullable(),
    serviceLevelToday: share.openapi({ description: 'Parte (0–1) de los llamados hoy que esperaron 15 minutos o menos' }),
    noShowRateToday: share.openapi({ description: 'Parte (0–1) de los llamados hoy que no se presentaron' }),
    cancellationRateToday: share.openapi({ description: 'Parte (0–1) de los tickets de hoy que se anularon' }),
  })
  .openapi('CifrasDeFila');

export const QueueStatsSchema = QueueFiguresSchema.extend({ branchOffice: z.string(), alerts: z.array(AlertSchema) }).openapi('CifrasDeFilaConAlertas');

/** SPEC §7: every branch at a glance, and the network. */
export const SummarySchema = z
  .strictObject({
    generatedAt: z.string().openapi({ format: 'date-time' }),
    totals: z.strictObject({
      branches: z.number().int(),
      waiting: z.number().int(),
      attending: z.number().int(),
      createdToday: z.number().int(),
      completedToday: z.number().int(),
      alerts: z.number().int(),
    }),
    branches: z.array(
      z.strictObject({
        branchOffice: z.string(),
        waiting: z.number().int(),
        attending: z.number().int(),
        createdToday: z.number().int(),
        completedToday: z.number().int(),
        cancelledToday: z.number().int(),
        noShowToday: z.number().int(),
        averageWaitMinutesToday: minutes,
        averageServiceMinutesToday: minutes,
        alerts: z.array(AlertSchema),
      }),
    ),
  })
  .openapi('Resumen');

/** An advisor as the supervision reads them (the floor's state, the current customer with a masked RUT). */
export const AdvisorViewSchema = z
  .looseObject({
    id: z.number().int(),
    name: z.string(),
    status: z.enum(['AVAILABLE', 'BUSY', 'OFFLINE']),
    moduleNumber: z.number().int(),
    branchOffice: z.string(),
    queueTypes: z.array(z.enum(QUEUE_TYPES)),
    floorState: z.string(),
    floorLabel: z.string(),
    pauseReason: z.string().nullable(),
    minutesInState: z.number(),
    active: z.boolean(),
    currentTicket: z.looseObject({}).nullable(),
  })
  .openapi('Asesor');

export const DashboardSchema = z
  .looseObject({
    branchOffice: z.string(),
    serviceDate: z.string().openapi({ format: 'date' }),
    generatedAt: z.string().openapi({ format: 'date-time' }),
    ticketsByStatus: z.record(z.enum(TICKET_STATUSES), z.number().int()),
    queues: z.array(QueueFiguresSchema),
    advisors: z.array(AdvisorViewSchema),
    averages: z.object({ averageWaitMinutesToday: minutes, averageServiceMinutesToday: minutes }),
    alerts: z.array(AlertSchema),
    pauseReasons: z.array(z.string()),
    jobs: z.array(z.object({ name: z.string(), status: z.string().nullable(), lastSucceededAt: z.string().nullable(), lastError: z.string().nullable() })),
  })
  .openapi('Panel');

export const HistorySchema = z
  .strictObject({
    branchOffice: z.string(),
    history: z.array(z.object({ at: z.string().openapi({ format: 'date-time' }), ...Object.fromEntries(QUEUE_TYPES.map((q) => [q, z.number().int()])) })),
  })
  .openapi('EsperaDelDia');
