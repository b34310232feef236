import { twoDigits, wallTime } from './local-time.js';
import type { QueueType } from './queue-types.js';

/** One opening period of a day, `HH:MM` branch time. */
export interface OpeningPeriod {
  opens: string;
  closes: string;
}

/** Per ISO weekday ("1" Monday … "7" Sunday) its periods; a weekday absent or empty is closed. */
export type BranchHours = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', OpeningPeriod[]>>;

/** A queue a branch offers, with its own average service minutes when it differs from the type's. */
export interface BranchQueue {
  queueType: QueueType;
  averageServiceMinutes?: number;
}

const WEEKDAYS_ES = ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'];
/** The branch-local weekday and HH:MM of an instant. */
export function localWeekdayAndTime(instant: Date, timeZone: string): { weekday: string; time: string } {
  const w = wallTime(instant, timeZone);
  return { weekday: WEEKDAYS_ES[w.weekday]!, time: `${twoDigits(w.hour)}:${twoDigits(w.minute)}` };
}

/** A branch code from its name, as the migration derived them: `Sucursal Ñuñoa` → `SUCURSAL-NUNOA`. */
export function branchCodeFromName(name: string, suffix = 1): string {
  const base =
    name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 20) || 'SUCURSAL';
  return suffix === 1 && base.length >= 2 ? base : `${base.slice(0, 15)}-${suffix}`;
}
