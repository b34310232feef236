import { z } from '@hono/zod-openapi';
import { ValidationError } from '../../errors.js';

/**
 * A row id in a URL (`/advisors/:id`, `/accounts/:id`, `/devices/:id`…): decimal digits only, at
 * least 1, at most 15 digits (a safe integer). `Number('0x10')`, `'1e3'`, `' 7'` and `'-1'` are refused.
 */
export const idParam = z
  .string()
  .regex(/^\d{1,15}$/, { error: 'Debe ser un entero positivo' })
  .transform(Number)
  .refine((id) => id >= 1, { error: 'Debe ser un entero positivo' });

/** The id of a path, or null when it is not one (the route table leaves the 400 to the handler). */
export function idOrNull(value: string | null | undefined): number | null {
  const parsed = idParam.safeParse(value ?? '');
  return parsed.success ? parsed.data : null;
}

/** The id of a path, or the 400 naming the field `id`. */
export function parseId(value: string): number {
  const parsed = idParam.safeParse(value);
  if (!parsed.success) throw new ValidationError({ id: parsed.error.issues[0]?.message ?? 'Debe ser un entero positivo' });
  return parsed.data;
}
