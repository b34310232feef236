import { describe, expect, it } from 'vitest';
import { unavailableBackoffSeconds, UNAVAILABLE_BACKOFF_CAP_SECONDS } from '../../src/modules/notifications/dispatcher.js';

describe('the backoff of a message Telegram could not take (SPEC §15)', () => {
  it('walks the retry schedule, then stays on its last step', () => {
    expect([0, 1, 2, 3, 10].map((n) => unavailableBackoffSeconds(n, [3, 6, 12]))).toEqual([3, 6, 12, 12, 12]);
  });

  it('never waits more than 60 s, whatever the schedule', () => {
    expect(UNAVAILABLE_BACKOFF_CAP_SECONDS).toBe(60);
    expect([0, 1, 2, 3].map((n) => unavailableBackoffSeconds(n))).toEqual([30, 60, 60, 60]);
    expect(unavailableBackoffSeconds(0, [600])).toBe(60);
  });
});
