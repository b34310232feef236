import { pino, type Logger } from 'pino';
import { CONTAINER_KEYS, PHONE_KEYS, RUT_KEYS, scrub, scrubText, SECRET_KEYS } from './domain/privacy.js';

export type { Logger };
export { scrubText };

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
