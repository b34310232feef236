import { QUEUES, type QueueType } from './queue-types.js';

/** C01 … C99, then C100: the prefix and at least two digits. */
export function formatTicketNumber(queueType: QueueType, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) {
    throw new RangeError(`sequence must be a positive integer, got ${sequence}`);
  }
  return `${QUEUES[queueType].prefix}${String(sequence).padStart(2, '0')}`;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The branch's calendar day (YYYY-MM-DD) at an instant: numbering restarts when it changes. */
export function serviceDay(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // Building a formatter is costly (it loads the zone's rules); one per zone is kept.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string): string => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
