import { twoDigits, wallTime } from './local-time.js';
import { QUEUES, type QueueType } from './queue-types.js';

/** C01 … C99, then C100: the prefix and at least two digits. */
export function formatTicketNumber(queueType: QueueType, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) {
    throw new RangeError(`sequence must be a positive integer, got ${sequence}`);
  }
  return `${QUEUES[queueType].prefix}${String(sequence).padStart(2, '0')}`;
}

/** The branch's calendar day (YYYY-MM-DD) at an instant: numbering restarts when it changes. */
export function serviceDay(instant: Date, timeZone: string): string {
  const w = wallTime(instant, timeZone);
  return `${w.year}-${twoDigits(w.month)}-${twoDigits(w.day)}`;
}
