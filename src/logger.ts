import { pino, type Logger } from 'pino';
import { maskPhone } from './domain/phone.js';
import { maskRut } from './domain/rut.js';

export type { Logger };

/** Keys whose values are personal data: masked wherever they appear in a log line. */
const RUT_KEYS = ['nationalId', 'national_id', 'rut'];
const PHONE_KEYS = ['telefono', 'phone', 'phoneNumber', 'phone_number'];

function pathsFor(keys: string[]): string[] {
  return keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'ticketero' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...pathsFor(RUT_KEYS), ...pathsFor(PHONE_KEYS), 'req.headers.authorization'],
        censor: (value: unknown, path: string[]) => {
          if (typeof value !== 'string') return '[oculto]';
          const key = path[path.length - 1]!;
          if (RUT_KEYS.includes(key)) return maskRut(value);
          if (PHONE_KEYS.includes(key)) return maskPhone(value);
          return '[oculto]';
        },
      },
    },
    destination,
  );
}
