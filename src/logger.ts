import { pino, type Logger } from 'pino';
import { maskPhone } from './domain/phone.js';
import { maskRut } from './domain/rut.js';

export type { Logger };

/** Keys whose values are personal data, at any depth of a log object. */
const RUT_KEYS = new Set(['nationalId', 'national_id', 'rut']);
const PHONE_KEYS = new Set(['telefono', 'phone', 'phoneNumber', 'phone_number']);
const SECRET_KEYS = new Set(['authorization', 'password', 'token', 'secret', 'secretToken']);

/** RUTs (`12.345.678-5`, `12345678-5`) and Chilean phones inside free text: SQL in DB errors, messages. */
const RUT_IN_TEXT = /\b\d{1,2}\.?\d{3}\.?\d{3}-[\dkK]\b/g;
const PHONE_IN_TEXT = /\+?56\s?9\d{8}\b/g;
const MAX_DEPTH = 10;
/** Objects often bound to child loggers that may carry personal data further down. */
const CONTAINER_KEYS = ['ticket', 'customer', 'update', 'message', 'user', 'contact', 'body', 'command'];

export function scrubText(text: string): string {
  return text.replace(RUT_IN_TEXT, (rut) => maskRut(rut)).replace(PHONE_IN_TEXT, (phone) => maskPhone(phone));
}

function scrub(value: unknown, key: string | null, depth: number, seen: WeakSet<object>): unknown {
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

/**
 * pino JSON logs in which a RUT or a phone never appears whole (SPEC §10): known keys are
 * masked at any depth (`12.***.***-5`, `+569****5678`), and RUT- or phone-shaped text inside
 * any string — an error message with SQL in it, say — is masked too.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'ticketero' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are turned into plain objects by `scrub`, so that their messages are scrubbed too.
      // The other serializers cover child-logger bindings, which pino does not pass to `formatters`.
      serializers: {
        err: (error: unknown) => error,
        ...Object.fromEntries(
          [...RUT_KEYS, ...PHONE_KEYS, ...SECRET_KEYS, ...CONTAINER_KEYS].map((key) => [
            key,
            (value: unknown) => scrub(value, key, 0, new WeakSet()),
          ]),
        ),
      },
      formatters: {
        log: (object) => scrub(object, null, 0, new WeakSet()) as Record<string, unknown>,
        bindings: (bindings) => scrub(bindings, null, 0, new WeakSet()) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // A message string may carry personal data too.
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<
            typeof method
          >;
          method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}
