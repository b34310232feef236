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
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string): string => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
