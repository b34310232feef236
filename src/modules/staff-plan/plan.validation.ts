import { z } from 'zod';
import { HHMM, parseHhmm } from './plan-time.js';

/*
 * The shape of a day's plan, shared by the admin API and the simulator's scenario format:
 * shifts of `{from, to}` and breaks of `{from, minutes}`, times `HH:MM` branch time.
 */
export const hhmm = z.string().regex(HHMM, 'debe ser una hora HH:MM');

export const shiftSchema = z
  .strictObject({ from: hhmm, to: hhmm })
  .refine((s) => parseHhmm(s.from) < parseHhmm(s.to), { message: 'el turno debe terminar después de empezar', path: ['to'] });

export const breakSchema = z.strictObject({ from: hhmm, minutes: z.number().int().min(1).max(240) });

export const dayPlanSchema = z
  .strictObject({ shifts: z.array(shiftSchema).max(6), breaks: z.array(breakSchema).max(10) })
  .superRefine((plan, ctx) => {
    const sorted = plan.shifts.map((s, i) => ({ i, from: parseHhmm(s.from), to: parseHhmm(s.to) })).sort((a, b) => a.from - b.from);
    for (let k = 1; k < sorted.length; k++) {
      if (sorted[k]!.from < sorted[k - 1]!.to) {
        ctx.addIssue({ code: 'custom', message: 'los turnos no pueden traslaparse', path: ['shifts', sorted[k]!.i, 'from'] });
      }
    }
  });

export type DayPlan = z.infer<typeof dayPlanSchema>;

/** zod issues as the API's per-field map: `shifts.0.to` → message. */
export function issuesToFields(error: z.ZodError, prefix = ''): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const issue of error.issues) {
    const key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(raíz)';
    out[key] ??= issue.message;
  }
  return out;
}
