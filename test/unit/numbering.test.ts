import { describe, expect, it } from 'vitest';
import { formatTicketNumber, serviceDay } from '../../src/domain/numbering.js';

describe('formatTicketNumber', () => {
  it('pads to two digits: C01 … C09', () => {
    expect(formatTicketNumber('CAJA', 1)).toBe('C01');
    expect(formatTicketNumber('CAJA', 9)).toBe('C09');
  });

  it('goes C99 then C100 without truncating', () => {
    expect(formatTicketNumber('CAJA', 99)).toBe('C99');
    expect(formatTicketNumber('CAJA', 100)).toBe('C100');
    expect(formatTicketNumber('CAJA', 1234)).toBe('C1234');
  });

  it('uses the prefix of each queue', () => {
    expect(formatTicketNumber('PERSONAL_BANKER', 5)).toBe('P05');
    expect(formatTicketNumber('EMPRESAS', 12)).toBe('E12');
    expect(formatTicketNumber('GERENCIA', 3)).toBe('G03');
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the sequence %s', (sequence) => {
    expect(() => formatTicketNumber('CAJA', sequence)).toThrow(RangeError);
  });
});

describe('serviceDay in America/Santiago', () => {
  const tz = 'America/Santiago';

  it('is still the previous day in Santiago when UTC has already turned the date (summer, UTC−3)', () => {
    // 2025-01-15 02:30 UTC is 2025-01-14 23:30 in Santiago.
    expect(serviceDay(new Date('2025-01-15T02:30:00Z'), tz)).toBe('2025-01-14');
    // 2025-01-15 03:00 UTC is local midnight: the new day starts.
    expect(serviceDay(new Date('2025-01-15T03:00:00Z'), tz)).toBe('2025-01-15');
  });

  it('is still the previous day in Santiago when UTC has already turned the date (winter, UTC−4)', () => {
    // 2025-07-15 03:59:59 UTC is 2025-07-14 23:59:59 in Santiago.
    expect(serviceDay(new Date('2025-07-15T03:59:59Z'), tz)).toBe('2025-07-14');
    expect(serviceDay(new Date('2025-07-15T04:00:00Z'), tz)).toBe('2025-07-15');
  });

  it('turns the year at Santiago midnight, not UTC midnight', () => {
    expect(serviceDay(new Date('2026-01-01T02:59:59Z'), tz)).toBe('2025-12-31');
    expect(serviceDay(new Date('2026-01-01T03:00:00Z'), tz)).toBe('2026-01-01');
  });

  it('follows the time zone it is given', () => {
    const instant = new Date('2025-01-15T02:30:00Z');
    expect(serviceDay(instant, 'UTC')).toBe('2025-01-15');
    expect(serviceDay(instant, 'Asia/Tokyo')).toBe('2025-01-15');
  });
});
