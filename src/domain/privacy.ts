import { maskPhone } from './phone.js';
import { maskRut } from './rut.js';

/** Keys whose values are personal data, at any depth of a log object. */
export const RUT_KEYS = new Set(['nationalId', 'national_id', 'rut']);
export const PHONE_KEYS = new Set(['telefono', 'phone', 'phoneNumber', 'phone_number']);
export const SECRET_KEYS = new Set(['authorization', 'password', 'token', 'secret', 'secretToken']);

/** RUTs (`12.345.678-5`, `12345678-5`) and Chilean phones inside free text: SQL in DB errors, messages. */
const RUT_IN_TEXT = /\b\d{1,2}\.?\d{3}\.?\d{3}-[\dkK]\b/g;
const PHONE_IN_TEXT = /\+?56\s?9\d{8}\b/g;
const MAX_DEPTH = 10;
/** Objects often bound to child loggers that may carry personal data further down. */
export const CONTAINER_KEYS = ['ticket', 'customer', 'update', 'message', 'user', 'contact', 'body', 'command'];

/** A request path fit for a log line: the RUT of `/api/admin/personas/:rut` never appears, in any spelling. */
export function scrubPath(path: string): string {
  return scrubText(path.replace(/(\/personas\/)[^/]+/, '$1[oculto]'));
}

export function scrubText(text: string): string {
  return text.replace(RUT_IN_TEXT, (rut) => maskRut(rut)).replace(PHONE_IN_TEXT, (phone) => maskPhone(phone));
}

/** A copy of `value` in which no RUT or phone appears whole: by key at any depth, and inside text. */
export function maskPersonalData(value: unknown): unknown {
  return scrub(value, null, 0, new WeakSet());
}

export function scrub(value: unknown, key: string | null, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    // Serializers and the log formatter may both see a value: masking twice must change nothing.
    const masked = value === '[oculto]' || value.includes('***');
    if (key !== null && RUT_KEYS.has(key)) return masked ? value : maskRut(value);
    if (key !== null && PHONE_KEYS.has(key)) return masked ? value : maskPhone(value);
    if (key !== null && SECRET_KEYS.has(key)) return '[oculto]';
    return scrubText(value);
  }
  if (key !== null && (RUT_KEYS.has(key) || PHONE_KEYS.has(key) || SECRET_KEYS.has(key)) && value != null) {
    return '[oculto]'; // personal data in an unexpected shape: hide it rather than guess
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    const plain: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
    for (const [k, v] of Object.entries(value)) plain[k] = v;
    return scrub(plain, key, depth, seen);
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, null, depth + 1, seen));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, k, depth + 1, seen);
  return out;
}

