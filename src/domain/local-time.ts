const HOUR_MS = 3_600_000;

const wallFormats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** What a clock and calendar in `timeZone` show at an instant; weekday 0 is Sunday. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** The one place the time zones' rules are read (Intl, the ICU data Node ships): every branch-local day, hour and weekday comes from here. */
export function wallTime(instant: Date | number, timeZone: string): WallTime {
  let format = wallFormats.get(timeZone);
  if (!format) {
    // Building a formatter loads the zone's rules: one per zone is kept.
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    wallFormats.set(timeZone, format);
  }
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of format.formatToParts(instant)) parts[p.type] = p.value;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** `n` with two digits at least. */
export const twoDigits = (n: number): string => String(n).padStart(2, '0');

/** The wall-clock time shown in `timeZone` at an instant, as milliseconds of a UTC-based calendar. */
function wallClock(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) + (((instant % 1000) + 1000) % 1000);
}

/**
 * The UTC instant at which a branch-local wall time happens (`day` YYYY-MM-DD, `minutes` since that
 * day's midnight). On a day the clocks go back, a wall time that happens twice is its first
 * occurrence; on a day they go forward, a wall time that does not exist is read with the offset
 * before the change (00:30 in a skipped hour 00:00–01:00 becomes 01:30), as Temporal's
 * "compatible" disambiguation does.
 */
export function instantOfWallTime(day: string, minutes: number, timeZone: string): number {
  const wanted = Date.parse(`${day}T00:00:00Z`) + minutes * 60_000;
  // The offsets in force around that wall time; one of them (or both, in a repeated hour) fits.
  const offsetBefore = wallClock(wanted - 14 * HOUR_MS, timeZone) - (wanted - 14 * HOUR_MS);
  const offsetAfter = wallClock(wanted + 14 * HOUR_MS, timeZone) - (wanted + 14 * HOUR_MS);
  const fits = [wanted - offsetBefore, wanted - offsetAfter].filter((t) => wallClock(t, timeZone) === wanted);
  return fits.length > 0 ? Math.min(...fits) : wanted - offsetBefore;
}
