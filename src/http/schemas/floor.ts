import { z } from '@hono/zod-openapi';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { hasControlCharacters } from '../../errors.js';
import { ADVISOR_STATUSES } from '../../modules/advisors/advisor.entity.js';
import { parseNumero } from '../../modules/tickets/ticket.validation.js';
import { parseWith } from './openapi-router.js';

/*
 * The service floor's requests (SPEC §12) as the HTTP doors receive them (the admin API, the
 * advisor's desk): one schema each, which validates and documents.
 */

/** Optional free text up to `max` characters without control characters; blank is null. */
const optionalText = (max: number) =>
  z
    .string({ error: `Debe ser texto de hasta ${max} caracteres` })
    .max(max, { error: `Debe ser texto de hasta ${max} caracteres` })
    .refine((value) => !hasControlCharacters(value), { error: `Debe ser texto de hasta ${max} caracteres` })
    .nullish()
    .transform((value) => value?.trim() || null);

const queueTypeMessage = `La fila debe ser una de: ${QUEUE_TYPES.join(', ')}`;

/** `{queueType?, advisorId?, keepPlace?, reason?}`: to another queue or a colleague, keeping the place unless told. */
export const TransferBody = z
  .strictObject({
    queueType: z.enum(QUEUE_TYPES, { error: queueTypeMessage }).nullish().openapi({ description: 'La fila de destino' }),
    advisorId: z
      .number({ error: 'El id del asesor debe ser un entero positivo' })
      .int({ error: 'El id del asesor debe ser un entero positivo' })
      .min(1, { error: 'El id del asesor debe ser un entero positivo' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'El id del asesor debe ser un entero positivo' })
      .nullish()
      .openapi({ description: 'El asesor de destino' }),
    keepPlace: z.boolean({ error: 'Debe ser true o false' }).optional().openapi({ description: 'Conserva su lugar (por omisión true)' }),
    reason: optionalText(200),
  })
  .superRefine((body, ctx) => {
    if (body.queueType == null && body.advisorId == null) {
      ctx.addIssue({ code: 'custom', path: ['queueType'], message: 'Indica la fila (queueType) o el asesor (advisorId) de destino' });
    }
  })
  .transform((body) => ({
    queueType: (body.queueType ?? null) as QueueType | null,
    advisorId: body.advisorId ?? null,
    keepPlace: body.keepPlace !== false,
    reason: body.reason,
  }))
  .openapi('Transferencia');

/** `{numero, reason}`: a named ticket called out of order, and why. */
export const CallOutOfOrderBody = z
  .strictObject({
    numero: z
      .string({ error: 'El número de turno es obligatorio (ej: C05)' })
      .transform((value, ctx) => {
        try {
          return parseNumero(value.trim());
        } catch {
          ctx.addIssue({ code: 'custom', message: 'El número de turno no es válido (ej: C05)' });
          return z.NEVER;
        }
      })
      .openapi({ type: 'string', example: 'C05' }),
    reason: optionalText(200)
      .refine((reason) => reason !== null, { error: 'Indica el motivo del llamado fuera de orden' })
      .transform((reason) => reason!),
  })
  .openapi('LlamadoFueraDeOrden');

/** `{status, reason?}`: an advisor's status, with the pause's reason. */
export const StatusBody = z
  .strictObject({
    status: z.enum(ADVISOR_STATUSES, { error: `El estado debe ser uno de: ${ADVISOR_STATUSES.join(', ')}` }),
    reason: z
      .string({ error: 'El motivo debe ser texto de hasta 500 caracteres' })
      .max(500, { error: 'El motivo debe ser texto de hasta 500 caracteres' })
      .nullish()
      .transform((value) => value?.trim() || null),
  })
  .openapi('CambioDeEstado');

/** `{outcome?}`: how the current customer's service ended (COMPLETADO unless told). */
export const OutcomeBody = z
  .strictObject({
    outcome: z.enum(['COMPLETADO', 'NO_ATENDIDO'], { error: 'El resultado debe ser COMPLETADO o NO_ATENDIDO' }).default('COMPLETADO'),
  })
  .openapi('FinDeAtencion');

/** The advisor's desk reads its action's body by hand (one route for every action): the same schemas. */
export const parseTransfer = (body: unknown) => parseWith(TransferBody, body);
export const parseCallOutOfOrder = (body: unknown) => parseWith(CallOutOfOrderBody, body);
