import { describe, expect, it } from 'vitest';
import { callOrder, callPositions, counterAfterCall, nextCallIndex, type WaitingTicket } from '../../src/domain/call-order.js';

/** A line from a pattern: N normal, P preferential, in arrival order (ids 1, 2, …). */
const line = (pattern: string): WaitingTicket[] => [...pattern].map((c, i) => ({ id: i + 1, preferential: c === 'P' }));
const ids = (tickets: WaitingTicket[]) => tickets.map((t) => t.id);

/** A small deterministic PRNG so the long sequences are the same on every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('preferential interleaving (SPEC §12)', () => {
  it('calls the oldest preferential ticket after every PREFERENTIAL_EVERY normal calls', () => {
    // N1 N2 N3 N4 P5 P6 N7: two normal, then P5; two normal, then P6; then the rest.
    expect(ids(callOrder(line('NNNNPPN'), 0, 2))).toEqual([1, 2, 5, 3, 4, 6, 7]);
  });

  it('remembers the normal calls already made (the counter lives in the database)', () => {
    expect(nextCallIndex(line('NNP'), 2, 2)).toBe(2);
    expect(nextCallIndex(line('NNP'), 1, 2)).toBe(0);
    expect(ids(callOrder(line('NNP'), 1, 2))).toEqual([1, 3, 2]);
  });

  it('calls a preferential ticket at once when nobody arrived before it', () => {
    expect(nextCallIndex(line('PNN'), 0, 2)).toBe(0);
    expect(ids(callOrder(line('PPNN'), 0, 2))).toEqual([1, 2, 3, 4]);
  });

  it('is plain arrival order without preferential tickets, and nothing when nobody waits', () => {
    expect(ids(callOrder(line('NNNN'), 5, 2))).toEqual([1, 2, 3, 4]);
    expect(nextCallIndex([], 0, 2)).toBe(-1);
  });

  it('resets the counter on a preferential call and counts normal ones', () => {
    expect(counterAfterCall(3, true)).toBe(0);
    expect(counterAfterCall(1, false)).toBe(2);
  });

  it('agrees with the closed form the SQL computes, on 2,000 random lines', () => {
    const next = random(42);
    for (let n = 0; n < 2000; n++) {
      const every = 1 + Math.floor(next() * 4);
      const counter = Math.floor(next() * 6);
      const length = Math.floor(next() * 25);
      const waiting = Array.from({ length }, (_, i) => ({ id: i + 1, preferential: next() < 0.3 }));
      const simulated = callOrder(waiting, counter, every);
      const positions = callPositions(waiting, counter, every);
      expect(simulated.map((t) => positions.get(t.id))).toEqual(simulated.map((_, i) => i + 1));
    }
  });

  it('on a long mixed sequence with arrivals between calls: nobody starves, no preferential passed by more than EVERY later arrivals', () => {
    const next = random(7);
    for (const every of [1, 2, 3]) {
      const waiting: WaitingTicket[] = [];
      const preferential = new Map<number, boolean>();
      const calls: Array<{ id: number; preferential: boolean }> = [];
      let counter = 0;
      let id = 0;
      const callOne = () => {
        const index = nextCallIndex(waiting, counter, every);
        const [called] = waiting.splice(index, 1);
        calls.push(called!);
        counter = counterAfterCall(counter, called!.preferential);
      };
      for (let step = 0; step < 3000; step++) {
        const arrivals = Math.floor(next() * 2.2); // about 1.1 arrivals per call: the line grows and shrinks
        for (let a = 0; a < arrivals; a++) {
          const ticket = { id: ++id, preferential: next() < 0.3 };
          preferential.set(ticket.id, ticket.preferential);
          waiting.push(ticket);
        }
        if (waiting.length > 0) callOne();
      }
      while (waiting.length > 0) callOne();

      // Everybody who arrived was called (no starvation once arrivals stop).
      expect(calls).toHaveLength(id);
      const position = new Map(calls.map((c, i) => [c.id, i]));
      for (const [ticketId, at] of position) {
        const laterFirst = calls.slice(0, at).filter((c) => c.id > ticketId);
        if (preferential.get(ticketId)) {
          expect(laterFirst.length).toBeLessThanOrEqual(every);
        } else {
          // Only preferential customers go ahead of an earlier normal one, one per EVERY normal calls.
          expect(laterFirst.every((c) => c.preferential)).toBe(true);
          const normalCallsMeanwhile = calls.slice(0, at).filter((c) => !c.preferential && c.id < ticketId).length;
          expect(laterFirst.length).toBeLessThanOrEqual(Math.floor(normalCallsMeanwhile / every) + 1);
        }
      }
    }
  });
});
