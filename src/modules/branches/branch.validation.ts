import { z } from 'zod';
import type { BranchHours, BranchQueue } from '../../domain/branch-hours.js';
import { normalizeHours, overlappingDay, parseHoursText } from '../../domain/hours-text.js';
import { calendarDateSchema } from '../../domain/input-dates.js';
import { QUEUE_TYPES } from '../../domain/queue-types.js';
import { ValidationError } from '../../errors.js';
import { issuesToFields } from '../staff-plan/plan.validation.js';

/** SPEC §17: `PROVIDENCIA`, `SUC-0001`. */
export const BRANCH_CODE = /^[A-Z0-9-]{2,20}$/;
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const CLOSES = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** An IANA zone the runtime knows (PostgreSQL checks it again: trigger branch_timezone_check). */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$|^UTC$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `admite hasta ${max} caracteres`)
    .nullable()
    .optional()
    .transform((v) => (v === '' ? null : v));

const period = z
  .strictObject({
    opens: z.string().regex(HHMM, 'debe ser una hora HH:MM'),
    closes: z.string().regex(CLOSES, 'debe ser una hora HH:MM (hasta 24:00)'),
  })
  .refine((p) => p.opens < p.closes, { message: 'debe cerrar después de abrir', path: ['closes'] });

/** Hours as JSON (`{"1": [{"opens": "09:00", "closes": "14:00"}], …}`) or as text (`L-V 09:00-14:00; S 10:00-13:00`). */
const hoursSchema = z
  .union([
    z.string().max(500),
    z.strictObject({
      1: z.array(period).max(6).optional(),
      2: z.array(period).max(6).optional(),
      3: z.array(period).max(6).optional(),
      4: z.array(period).max(6).optional(),
      5: z.array(period).max(6).optional(),
      6: z.array(period).max(6).optional(),
      7: z.array(period).max(6).optional(),
    }),
  ])
  .transform((value, ctx): BranchHours => {
    if (typeof value === 'string') {
      const parsed = parseHoursText(value);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }
      return parsed.hours;
    }
    const hours = normalizeHours(value as BranchHours);
    const overlap = overlappingDay(hours);
    if (overlap) {
      ctx.addIssue({ code: 'custom', message: `los horarios del día ${overlap} se traslapan` });
      return z.NEVER;
    }
    return hours;
  });

const queuesSchema = z
  .array(
    z.strictObject({
      queueType: z.enum(QUEUE_TYPES, { message: `debe ser uno de: ${QUEUE_TYPES.join(', ')}` }),
      averageServiceMinutes: z.number().positive('debe ser mayor que 0').max(240, 'admite hasta 240 minutos').optional(),
    }),
  )
  .min(1, 'la sucursal debe ofrecer al menos una cola')
  .refine((qs) => new Set(qs.map((q) => q.queueType)).size === qs.length, 'una cola aparece dos veces')
  .transform((qs): BranchQueue[] => normalizeQueues(qs));

/** Queues in the product's order, without absent averages: equal offers compare equal (also as jsonb). */
export function normalizeQueues(queues: readonly BranchQueue[]): BranchQueue[] {
  return [...queues]
    .sort((a, b) => QUEUE_TYPES.indexOf(a.queueType) - QUEUE_TYPES.indexOf(b.queueType))
    .map((q) => (q.averageServiceMinutes === undefined ? { queueType: q.queueType } : { queueType: q.queueType, averageServiceMinutes: q.averageServiceMinutes }));
}

const fields = {
  code: z.string().trim().regex(BRANCH_CODE, 'debe tener de 2 a 20 caracteres: A-Z, 0-9 y -'),
  name: z.string().trim().min(2, 'debe tener al menos 2 caracteres').max(100, 'admite hasta 100 caracteres'),
  region: optionalText(100),
  comuna: optionalText(100),
  address: optionalText(200),
  latitude: z.number().min(-90, 'debe estar entre -90 y 90').max(90, 'debe estar entre -90 y 90').nullable().optional(),
  longitude: z.number().min(-180, 'debe estar entre -180 y 180').max(180, 'debe estar entre -180 y 180').nullable().optional(),
  timezone: z.string().trim().refine(isTimeZone, 'debe ser una zona horaria IANA, p. ej. America/Santiago'),
  hours: hoursSchema.nullable(),
  closingTime: z.string().regex(HHMM, 'debe ser una hora HH:MM'),
  closedDates: z
    .array(calendarDateSchema)
    .max(400, 'admite hasta 400 fechas')
    .transform((dates) => [...new Set(dates)].sort()),
  queues: queuesSchema,
};

export const newBranchSchema = z.strictObject({
  ...fields,
  timezone: fields.timezone.optional(),
  hours: fields.hours.optional(),
  closingTime: fields.closingTime.optional(),
  closedDates: fields.closedDates.optional(),
  queues: fields.queues.optional(),
});

export const branchPatchSchema = z
  .strictObject({
    code: fields.code.optional(),
    name: fields.name.optional(),
    region: fields.region,
    comuna: fields.comuna,
    address: fields.address,
    latitude: fields.latitude,
    longitude: fields.longitude,
    timezone: fields.timezone.optional(),
    hours: fields.hours.optional(),
    closingTime: fields.closingTime.optional(),
    closedDates: fields.closedDates.optional(),
    queues: fields.queues.optional(),
    active: z.boolean().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'indica al menos un campo a cambiar');

export type NewBranch = z.infer<typeof newBranchSchema>;
export type BranchPatch = z.infer<typeof branchPatchSchema>;

/** zod's verdict as the API's VALIDACION_FALLIDA with `campos`. */
export function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationError(issuesToFields(result.error));
  return result.data;
}
