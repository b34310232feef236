import { wallTime } from '../../domain/local-time.js';
import type { PlannedBreak, PlannedShift } from './advisor-plan.entity.js';

/** `HH:MM` (00:00–23:59, or 24:00 as the end of the day). */
export const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export function parseHhmm(value: string): number {
  const [h, m] = value.split(':').map(Number);
  return h! * 60 + m!;
}

/** Minutes since the branch's midnight at an instant (fractional). */
export function minuteOfDay(instant: Date, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  return w.hour * 60 + w.minute + (w.second + instant.getMilliseconds() / 1000) / 60;
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
