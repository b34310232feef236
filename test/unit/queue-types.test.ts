import { describe, expect, it } from 'vitest';
import { QUEUES, QUEUES_BY_PRIORITY, QUEUE_TYPES, isQueueType } from '../../src/domain/queue-types.js';

describe('queue types', () => {
  it('has exactly the four queues of the SPEC', () => {
    expect([...QUEUE_TYPES].sort()).toEqual(['CAJA', 'EMPRESAS', 'GERENCIA', 'PERSONAL_BANKER']);
  });

  it.each([
    ['CAJA', 'C', 5, 1],
    ['PERSONAL_BANKER', 'P', 15, 2],
    ['EMPRESAS', 'E', 20, 3],
    ['GERENCIA', 'G', 30, 4],
  ] as const)('gives %s the prefix %s, %i average minutes and priority %i', (type, prefix, minutes, priority) => {
    expect(QUEUES[type]).toMatchObject({ prefix, averageMinutes: minutes, priority });
  });

  it('serves GERENCIA first, then EMPRESAS, PERSONAL_BANKER and CAJA', () => {
    expect(QUEUES_BY_PRIORITY).toEqual(['GERENCIA', 'EMPRESAS', 'PERSONAL_BANKER', 'CAJA']);
  });

  it('gives every queue a distinct prefix and priority', () => {
    const prefixes = QUEUE_TYPES.map((t) => QUEUES[t].prefix);
    const priorities = QUEUE_TYPES.map((t) => QUEUES[t].priority);
    expect(new Set(prefixes).size).toBe(4);
    expect(new Set(priorities).size).toBe(4);
  });

  it('recognises only the exact queue names', () => {
    expect(isQueueType('CAJA')).toBe(true);
    for (const value of ['caja', 'Caja', ' CAJA', 'CAJA ', 'VIP', '', null, undefined, 1, ['CAJA'], { CAJA: true }, 'toString', '__proto__']) {
      expect(isQueueType(value)).toBe(false);
    }
  });
});
