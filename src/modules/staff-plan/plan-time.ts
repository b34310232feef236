import type { PlannedBreak, PlannedShift } from './advisor-plan.entity.js';

/** `HH:MM` (00:00–23:59, or 24:00 as the end of the day). */
export const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export function parseHhmm(value: string): number {
  const [h, m] = value.split(':').map(Number);
  return h! * 60 + m!;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes since the branch's midnight at an instant (fractional). */
export function minuteOfDay(instant: Date, timeZone: string): number {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    clockFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return get('hour') * 60 + get('minute') + (get('second') + instant.getMilliseconds() / 1000) / 60;
}

/**
 * The working windows of a day's plan (shifts minus breaks), in minutes from `nowMinute`
 * (branch-local minute of day), those not over yet, in order.
 */
export function planWindows(shifts: readonly PlannedShift[], breaks: readonly PlannedBreak[], nowMinute: number): [number, number][] {
  const cuts = breaks
    .map((b) => [parseHhmm(b.from), parseHhmm(b.from) + b.minutes] as const)
    .sort((a, b) => a[0] - b[0]);
  const windows: [number, number][] = [];
  for (const shift of [...shifts].sort((a, b) => parseHhmm(a.from) - parseHhmm(b.from))) {
    let start = parseHhmm(shift.from);
    const end = parseHhmm(shift.to);
    for (const [from, to] of cuts) {
      if (to <= start || from >= end) continue;
      if (from > start) windows.push([start, from]);
      start = Math.max(start, to);
    }
    if (start < end) windows.push([start, end]);
  }
  return windows.map(([a, b]) => [a - nowMinute, b - nowMinute] as [number, number]).filter(([, b]) => b > 0);
}
