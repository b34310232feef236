import { describe, expect, it } from 'vitest';
import { instantOfWallTime } from '../../src/domain/local-time.js';

const iso = (ms: number): string => new Date(ms).toISOString();

describe('instantOfWallTime', () => {
  it('reads an ordinary winter and summer day in Santiago', () => {
    expect(iso(instantOfWallTime('2026-07-01', 9 * 60, 'America/Santiago'))).toBe('2026-07-01T13:00:00.000Z');
    expect(iso(instantOfWallTime('2026-12-05', 9 * 60 + 30, 'America/Santiago'))).toBe('2026-12-05T12:30:00.000Z');
  });

  it('gives the midnight that starts the day the clocks go back (it used to give 23:00 the day before)', () => {
    // Chile leaves summer time at 00:00 on 5 April 2026: 23:00–23:59 of the 4th happens twice.
    expect(iso(instantOfWallTime('2026-04-05', 0, 'America/Santiago'))).toBe('2026-04-05T04:00:00.000Z');
    expect(iso(instantOfWallTime('2026-04-05', 9 * 60, 'America/Santiago'))).toBe('2026-04-05T13:00:00.000Z');
    // The repeated hour is read as its first occurrence.
    expect(iso(instantOfWallTime('2026-04-04', 23 * 60 + 30, 'America/Santiago'))).toBe('2026-04-05T02:30:00.000Z');
  });

  it('moves a wall time the clocks skip past the gap, and keeps the rest of that day right', () => {
    // Chile starts summer time at 00:00 on 6 September 2026: 00:00–00:59 does not exist.
    expect(iso(instantOfWallTime('2026-09-06', 30, 'America/Santiago'))).toBe('2026-09-06T04:30:00.000Z');
    expect(iso(instantOfWallTime('2026-09-06', 9 * 60, 'America/Santiago'))).toBe('2026-09-06T12:00:00.000Z');
  });

  it('handles a zone other than the default', () => {
    expect(iso(instantOfWallTime('2026-07-01', 9 * 60, 'Pacific/Easter'))).toBe('2026-07-01T15:00:00.000Z');
  });
});
