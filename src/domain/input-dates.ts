import { z } from 'zod';

/*
 * Dates and instants that arrive in a query or a body (SPEC §22): a date must be a real calendar
 * date that survives a round trip (2026-02-30 does not: it would silently become 2 March, or make
 * PostgreSQL fail with a 500), and its year lies within 2000–2100 (year 0 or -200000 reach
 * PostgreSQL as errors, and nothing in a bank's queue is dated outside that range).
 * One place for every door: the admin API, the supervisor's page, the accounts and branches.
 */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;

export const DATE_MESSAGE = `debe ser una fecha AAAA-MM-DD real, con año entre ${MIN_YEAR} y ${MAX_YEAR}`;
export const INSTANT_MESSAGE = `debe ser una fecha ISO 8601 real (AAAA-MM-DD o AAAA-MM-DDTHH:MM[:SS][Z|±HH:MM]), con año entre ${MIN_YEAR} y ${MAX_YEAR}`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/i;

function realDay(year: number, month: number, day: number): boolean {
  if (year < MIN_YEAR || year > MAX_YEAR) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `AAAA-MM-DD` when it is a real day within the years allowed; otherwise null. */
export function parseCalendarDate(value: string): string | null {
  const match = DATE.exec(value);
  if (!match) return null;
  return realDay(Number(match[1]), Number(match[2]), Number(match[3])) ? value : null;
}

/**
 * An ISO 8601 instant (a date alone is its UTC midnight; a time without zone is read as before,
 * in the server's zone) when every part is real — day of its month, hour 0–23, minute and second
 * 0–59, offset up to ±14:00 — and its year, in UTC, is within the years allowed; otherwise null.
 */
export function parseInstant(value: string): Date | null {
  const match = INSTANT.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone, zh, zm] = match;
  if (!realDay(Number(y), Number(mo), Number(d))) return null;
  if (h === undefined) return new Date(`${y}-${mo}-${d}T00:00:00Z`);
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return null;
  const utc = zone !== undefined && zone.toUpperCase() === 'Z';
  if (zone !== undefined && !utc && (Number(zh) > 14 || Number(zm) > 59)) return null;
  const offset = zone === undefined ? '' : utc ? 'Z' : `${zone[0]}${zh}:${zm}`;
  const millis = fraction ? `.${fraction.padEnd(3, '0').slice(0, 3)}` : '';
  const parsed = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${millis}${offset}`);
  if (Number.isNaN(parsed.getTime())) return null;
  const year = parsed.getUTCFullYear();
  return year >= MIN_YEAR && year <= MAX_YEAR ? parsed : null;
}

/** zod: a calendar date as above (kept as its `AAAA-MM-DD` text). */
export const calendarDateSchema = z.string().refine((v) => parseCalendarDate(v) !== null, DATE_MESSAGE);

/** zod: an instant as above, turned into a Date. */
export const instantSchema = z.string().transform((v, ctx) => {
  const parsed = parseInstant(v);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: INSTANT_MESSAGE });
    return z.NEVER;
  }
  return parsed;
});
