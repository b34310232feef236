import { describe, expect, it } from 'vitest';
import { QUEUES, QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';
import { forecastBranch, type AdvisorState, type BranchState, type QueueModel } from '../../src/modules/estimates/estimator.js';

// Issue 21: a newcomer's replay stops at their call. Stopped at any ticket, the replay must give that
// ticket exactly what the full replay gives it — called within the horizon or not.
const model = (q: QueueType, arrivals: number): QueueModel => ({
  serviceMinutesByHour: Array.from({ length: 24 }, (_, h) => QUEUES[q].averageMinutes * (1 + (h % 3) / 10)),
  serviceSdByHour: Array.from({ length: 24 }, () => QUEUES[q].averageMinutes / 3),
  cancelRate: 0.04,
  noShowRate: 0.06,
  noShowMinutes: 2,
  arrivalsByHour: Array.from({ length: 24 }, () => arrivals),
});

function state(lengths: Record<QueueType, number>, advisors: AdvisorState[]): BranchState {
  let next = 1;
  const waiting = Object.fromEntries(QUEUE_TYPES.map((q) => [q, Array.from({ length: lengths[q] }, () => next++)])) as Record<QueueType, number[]>;
  return {
    minuteOfDay: 10 * 60 + 37,
    waiting,
    advisors,
    queues: Object.fromEntries(QUEUE_TYPES.map((q) => [q, model(q, q === 'GERENCIA' ? 0.5 : 4)])) as Record<QueueType, QueueModel>,
    minutesToClose: 6 * 60,
  };
}

const advisors: AdvisorState[] = [
  { id: 1, queues: ['CAJA', 'PERSONAL_BANKER'], now: { kind: 'SERVING', queueType: 'CAJA', minutesInService: 7 }, plan: null },
  { id: 2, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 4 }, plan: null },
  { id: 3, queues: ['EMPRESAS', 'GERENCIA'], now: { kind: 'AVAILABLE' }, plan: [[0, 90], [120, 400]], breaks: [[90, 120]] },
  { id: 4, queues: ['CAJA', 'PERSONAL_BANKER', 'GERENCIA'], now: { kind: 'OFFLINE' }, plan: [[45, 480]] },
];

describe('forecastBranch stopped at one ticket', () => {
  it.each([
    ['a short line', { CAJA: 12, PERSONAL_BANKER: 5, EMPRESAS: 3, GERENCIA: 2 }],
    ['a line longer than the horizon', { CAJA: 900, PERSONAL_BANKER: 60, EMPRESAS: 20, GERENCIA: 8 }],
  ] as const)('gives every ticket of %s what the full replay gives it', (_, lengths) => {
    const s = state(lengths, advisors);
    const full = forecastBranch(s);
    let finite = 0;
    let infinite = 0;
    for (const queue of QUEUE_TYPES) {
      for (const id of s.waiting[queue]) {
        const one = forecastBranch(s, id).get(id);
        expect(one, `${queue} #${id}`).toEqual(full.get(id));
        if (Number.isFinite(one!.expected)) finite++;
        else infinite++;
      }
    }
    expect(finite).toBeGreaterThan(0);
    if (lengths.CAJA > 100) expect(infinite).toBeGreaterThan(0);
  });
});
