import { z } from '@hono/zod-openapi';
import { ATENCION_PREFERENTE } from '../../domain/floor.js';
import { normalisePhone } from '../../domain/phone.js';
import { QUEUE_TYPES, isQueueType, type QueueType } from '../../domain/queue-types.js';
import { parseRut } from '../../domain/rut.js';
import { TICKET_STATUSES } from '../../domain/ticket-status.js';
import { hasControlCharacters } from '../../errors.js';
import { isValidIdempotencyKey } from '../../modules/tickets/idempotency.js';
import type { TakeTicketCommand } from '../../modules/tickets/ticket.validation.js';
import { parseNumero } from '../../modules/tickets/ticket.validation.js';
import { parseWith } from './openapi-router.js';

/* The kiosk's requests and answers (SPEC §7, §19): one schema each, which validates and documents. */

const phoneMessage = 'El teléfono debe tener el formato +56 seguido de 9 dígitos';
const branchMessage = 'La sucursal debe ser un texto de 1 a 100 caracteres';

/** `{nationalId, queueType, telefono?, branchOffice?, atencionPreferente?, consentimientoTelefono?}` */
export const NewTicketBody = z
  .strictObject({
    nationalId: z
      .string({ error: (issue) => (issue.input == null ? 'El RUT es obligatorio' : 'El RUT debe ser texto') })
      .transform((value, ctx) => {
        if (value === '') ctx.addIssue({ code: 'custom', message: 'El RUT es obligatorio' });
        else if (value.length > 20) ctx.addIssue({ code: 'custom', message: 'El RUT no tiene un formato válido (ej: 12.345.678-5)' });
        else {
          const rut = parseRut(value);
          if (rut.ok) return rut.rut;
          ctx.addIssue({ code: 'custom', message: rut.reason });
        }
        return z.NEVER;
      })
      .openapi({ type: 'string', example: '12.345.678-5' }),
    telefono: z
      .string({ error: phoneMessage })
      .max(20, { error: phoneMessage })
      .nullish()
      .transform((value, ctx) => {
        if (value == null || value === '') return null;
        const phone = normalisePhone(value);
        if (!phone) ctx.addIssue({ code: 'custom', message: phoneMessage });
        return phone;
      })
      .openapi({ type: ['string', 'null'], pattern: '^\\+56\\d{9}$' }),
    branchOffice: z
      .string({ error: branchMessage })
      .max(100, { error: branchMessage })
      .refine((value) => value.trim() !== '', { error: branchMessage })
      .refine((value) => !hasControlCharacters(value), { error: 'La sucursal contiene caracteres no permitidos' })
      .nullish()
      .transform((value) => value?.trim() ?? null)
      .openapi({ type: ['string', 'null'], maxLength: 100, description: 'Por omisión la del tótem, o BRANCH_OFFICE' }),
    queueType: z
      .unknown()
      .refine((value) => value != null && value !== '', { error: `El tipo de cola es obligatorio (${QUEUE_TYPES.join(', ')})`, abort: true })
      .refine((value): value is QueueType => isQueueType(value), { error: `El tipo de cola debe ser uno de: ${QUEUE_TYPES.join(', ')}` })
      .transform((value) => value as QueueType)
      .openapi({ type: 'string', enum: [...QUEUE_TYPES] }),
    atencionPreferente: z
      .enum(ATENCION_PREFERENTE, { error: `La atención preferente debe ser una de: ${ATENCION_PREFERENTE.join(', ')}` })
      .nullish()
      .transform((value) => value ?? null)
      .openapi({ description: 'Atención preferente (SPEC §12)' }),
    consentimientoTelefono: z
      .boolean({ error: 'El consentimiento debe ser true o false' })
      .nullish()
      .openapi({ description: 'El cliente marcó el consentimiento para usar su teléfono (SPEC §19); se guarda' }),
  })
  .superRefine((body, ctx) => {
    if (body.consentimientoTelefono === true && body.telefono === null) {
      ctx.addIssue({ code: 'custom', path: ['consentimientoTelefono'], message: 'Sin teléfono no hay consentimiento que guardar' });
    }
  })
  .transform((body): TakeTicketCommand => ({ ...body, consentimientoTelefono: body.consentimientoTelefono === true }))
  .openapi('NuevoTicket');

export const TakeTicketHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .refine(isValidIdempotencyKey, { error: 'Debe tener de 1 a 255 caracteres ASCII visibles (p. ej. un UUID)' })
    .optional()
    .openapi({
      description:
        'Una clave por intento (p. ej. un UUID). Durante 24 h, la misma clave con la misma solicitud devuelve el mismo ticket (200, Idempotent-Replayed: true); con otra solicitud, 422 IDEMPOTENCIA_CONFLICTO',
    }),
});

export const TakeTicketQuery = z.object({
  qr: z.enum(['svg'], { error: 'Solo admite svg' }).optional().openapi({ description: 'Incluye telegramQrSvg' }),
});

export const CodigoParams = z.object({
  codigoReferencia: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'El código de referencia debe ser un UUID' })
    .transform((value) => value.toLowerCase())
    .openapi({ param: { name: 'codigoReferencia', in: 'path' }, type: 'string', format: 'uuid' }),
});

export const NumeroParams = z.object({
  numero: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseNumero(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'El número de turno no es válido (ej: C05)' });
        return z.NEVER;
      }
    })
    .openapi({ param: { name: 'numero', in: 'path' }, type: 'string', example: 'C05' }),
});

const ticketCore = {
  identificador: z.string().openapi({ format: 'uuid' }),
  numero: z.string().openapi({ example: 'C01' }),
  positionInQueue: z.number().int(),
  estimatedWaitMinutes: z.number().int(),
  queueType: z.enum(QUEUE_TYPES),
  status: z.enum(TICKET_STATUSES),
  branchOffice: z.string(),
  telegramLink: z.string().nullable().openapi({
    description:
      'Solo la respuesta de POST: https://t.me/<bot>?start=<token k_ de un solo uso> (SPEC §19); null sin Telegram. Al consultar o anular un ticket, siempre null: no hay enlace reutilizable',
  }),
};

/** POST /api/tickets: the number, where it stands, and what happened to the paper. */
export const TicketCreatedSchema = z
  .strictObject({
    ...ticketCore,
    codigoCorto: z.string().nullable().openapi({ example: 'ABCD-EF23', description: 'Para /turno CODIGO en el bot' }),
    impresion: z
      .strictObject({
        estado: z.enum(['IMPRESA', 'SIN_PAPEL', 'DESCONECTADA', 'NAVEGADOR']),
        motivo: z.enum(['SIN_CONEXION', 'SIN_RESPUESTA', 'NO_LISTA', 'ERROR_DE_ENVIO']).optional(),
      })
      .openapi({
        description:
          'Qué pasó con el papel (SPEC §19). IMPRESA: la impresora ESC/POS del tótem; SIN_PAPEL o DESCONECTADA: no se imprimió y el ticket vale igual; NAVEGADOR: imprime el navegador',
      }),
    telegramQrSvg: z.string().nullable().optional().openapi({ description: 'El enlace como QR en SVG (con ?qr=svg)' }),
  })
  .openapi('TicketCreado');

/** A ticket as the kiosk looks it up or cancels it (SPEC §7, §12). */
export const TicketSchema = z
  .strictObject({
    ...ticketCore,
    moduleNumber: z.number().int().nullable(),
    advisorName: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    assignedAt: z.string().nullable().openapi({ format: 'date-time' }),
    completedAt: z.string().nullable().openapi({ format: 'date-time' }),
    serviceStartedAt: z.string().nullable().openapi({ format: 'date-time', description: 'Cuando el asesor confirmó la llegada (Llegó)' }),
    recallCount: z.number().int().openapi({ description: 'Llamados en la visita actual a un módulo' }),
    atencionPreferente: z.enum(ATENCION_PREFERENTE).nullable(),
  })
  .openapi('Ticket');

export const PositionSchema = z
  .strictObject({
    numero: z.string(),
    branchOffice: z.string(),
    queueType: z.enum(QUEUE_TYPES),
    status: z.enum(TICKET_STATUSES),
    positionInQueue: z.number().int(),
    estimatedWaitMinutes: z.number().int(),
  })
  .openapi('Posicion');

/** The kiosk's body checked outside a route (test/unit/ticket-validation.test.ts holds every message). */
export const parseTakeTicket = (body: unknown): TakeTicketCommand => parseWith(NewTicketBody, body);
export const parseCodigoReferencia = (value: string): string => parseWith(CodigoParams, { codigoReferencia: value }).codigoReferencia;
