import type { BranchHours, OpeningPeriod } from './branch-hours.js';

/**
 * Opening hours as a person writes them (SPEC §17): `L-V 09:00-14:00; S 10:00-13:00`.
 * Weekdays `L M X J V S D` (Monday … Sunday), ranges with `-`, lists with `,`; several periods of a
 * day with `,` between them (`L-V 09:00-13:00,15:00-17:00`); groups separated by `;`. A day
 * named by no group is closed. Times are `HH:MM` branch time; a period may close at `24:00`.
 */
export const WEEKDAY_LETTERS = ['L', 'M', 'X', 'J', 'V', 'S', 'D'] as const;

const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const CLOSES = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const WEEKDAY_KEYS = ['1', '2', '3', '4', '5', '6', '7'] as const;
type WeekdayKey = (typeof WEEKDAY_KEYS)[number];

export type HoursTextResult = { ok: true; hours: BranchHours } | { ok: false; error: string };

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function dayIndex(letter: string): number {
  return WEEKDAY_LETTERS.indexOf(letter.toUpperCase() as (typeof WEEKDAY_LETTERS)[number]);
}

/** Parses `L-V 09:00-14:00; S 10:00-13:00`; the error names what is wrong, in Spanish. */
export function parseHoursText(text: string): HoursTextResult {
  const hours: Partial<Record<WeekdayKey, OpeningPeriod[]>> = {};
  const groups = text
    .split(';')
    .map((g) => g.trim())
    .filter(Boolean);
  for (const group of groups) {
    const match = /^([A-Za-z](?:\s*[-,]\s*[A-Za-z])*)\s+(.+)$/.exec(group);
    if (!match) return { ok: false, error: `"${group}": se esperaba días y horas, p. ej. "L-V 09:00-14:00"` };
    const days = new Set<number>();
    for (const item of match[1]!.split(',').map((d) => d.trim())) {
      const [from, to, extra] = item.split('-').map((d) => d.trim());
      if (extra !== undefined) return { ok: false, error: `"${item}": un rango de días es como L-V` };
      const a = dayIndex(from!);
      const b = to === undefined ? a : dayIndex(to);
      if (a < 0 || b < 0) return { ok: false, error: `"${item}": los días son L M X J V S D` };
      if (b < a) return { ok: false, error: `"${item}": el rango de días debe ir de lunes a domingo (L-V, no V-L)` };
      for (let d = a; d <= b; d++) days.add(d);
    }
    const periods: OpeningPeriod[] = [];
    for (const range of match[2]!.split(',').map((r) => r.trim())) {
      const [opens, closes, extra] = range.split('-').map((t) => t.trim());
      if (extra !== undefined || !opens || !closes || !TIME.test(opens) || !CLOSES.test(closes)) {
        return { ok: false, error: `"${range}": un horario es como 09:00-14:00` };
      }
      if (minutes(opens) >= minutes(closes)) return { ok: false, error: `"${range}": debe cerrar después de abrir` };
      periods.push({ opens, closes });
    }
    for (const d of days) {
      const key = WEEKDAY_KEYS[d]!;
      if (hours[key]) return { ok: false, error: `el día ${WEEKDAY_LETTERS[d]} aparece dos veces` };
      hours[key] = periods.map((p) => ({ ...p }));
    }
  }
  const normalized = normalizeHours(hours);
  const overlap = overlappingDay(normalized);
  if (overlap) return { ok: false, error: `los horarios del día ${overlap} se traslapan` };
  return { ok: true, hours: normalized };
}

/** Days in order, each day's periods by opening time, empty days dropped: equal hours compare equal. */
export function normalizeHours(hours: BranchHours): BranchHours {
  const out: BranchHours = {};
  for (const key of WEEKDAY_KEYS) {
    const periods = hours[key];
    if (periods && periods.length) out[key] = [...periods].map((p) => ({ opens: p.opens, closes: p.closes })).sort((a, b) => minutes(a.opens) - minutes(b.opens));
  }
  return out;
}

/** The weekday letter of the first day whose (sorted) periods overlap, or null. */
export function overlappingDay(hours: BranchHours): string | null {
  for (const [i, key] of WEEKDAY_KEYS.entries()) {
    const periods = hours[key] ?? [];
    for (let k = 1; k < periods.length; k++) {
      if (minutes(periods[k]!.opens) < minutes(periods[k - 1]!.closes)) return WEEKDAY_LETTERS[i]!;
    }
  }
  return null;
}

/** The inverse of parseHoursText, grouping consecutive days with the same periods: `L-V 09:00-14:00; S 10:00-13:00`. */
export function formatHoursText(hours: BranchHours | null): string {
  if (!hours) return '';
  const normalized = normalizeHours(hours);
  const text = (key: WeekdayKey): string => (normalized[key] ?? []).map((p) => `${p.opens}-${p.closes}`).join(',');
  const groups: string[] = [];
  let start = 0;
  for (let d = 1; d <= 7; d++) {
    if (d < 7 && text(WEEKDAY_KEYS[d]!) === text(WEEKDAY_KEYS[start]!)) continue;
    const periods = text(WEEKDAY_KEYS[start]!);
    if (periods) {
      const days = start === d - 1 ? WEEKDAY_LETTERS[start]! : `${WEEKDAY_LETTERS[start]}-${WEEKDAY_LETTERS[d - 1]}`;
      groups.push(`${days} ${periods}`);
    }
    start = d;
  }
  return groups.join('; ');
}
