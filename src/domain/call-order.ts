/*
 * Preferential attention (SPEC §12), as a pure rule. Within one queue, tickets wait in arrival
 * order (queued_at). The next call goes to the oldest preferential ticket when it is the oldest
 * ticket of all, or when `every` normal calls have been made since the last preferential call;
 * otherwise to the oldest ticket. So a preferential ticket jumps ahead of older normal ones at most
 * once every `every` normal calls (normal customers never starve), and no later arrival is ever
 * called before a waiting preferential one (never more than `every`).
 */

export interface WaitingTicket {
  id: number;
  preferential: boolean;
}

/** Index (in the arrival-ordered list) of the ticket called next, or -1 when nobody waits. */
export function nextCallIndex(waiting: readonly WaitingTicket[], normalCalls: number, every: number): number {
  if (waiting.length === 0) return -1;
  const preferential = waiting.findIndex((t) => t.preferential);
  if (preferential === 0 || (preferential > 0 && normalCalls >= every)) return preferential;
  return 0;
}

/** The queue's counter after a call: a preferential call resets it, a normal one adds one. */
export function counterAfterCall(normalCalls: number, calledPreferential: boolean): number {
  return calledPreferential ? 0 : normalCalls + 1;
}

/** The order in which the waiting tickets will be called if nobody else arrives (by simulation). */
export function callOrder(waiting: readonly WaitingTicket[], normalCalls: number, every: number): WaitingTicket[] {
  const line = [...waiting];
  const order: WaitingTicket[] = [];
  let counter = normalCalls;
  while (line.length > 0) {
    const [next] = line.splice(nextCallIndex(line, counter, every), 1);
    order.push(next!);
    counter = counterAfterCall(counter, next!.preferential);
  }
  return order;
}

/**
 * The same order in closed form, as the SQL computes it for every waiting ticket at once: the j-th
 * preferential ticket (0-based) is called after n_j normal ones, where a_j normal tickets arrived
 * before it, b = max(0, every − counter), and n_j = j·every + min(b, min over k ≤ j of (a_k − k·every)).
 * Sorting by (n_j for preferential, index for normal; preferential first on ties) gives the call order.
 */
export function callPositions(waiting: readonly WaitingTicket[], normalCalls: number, every: number): Map<number, number> {
  const b = Math.max(0, every - normalCalls);
  const keyed: Array<{ id: number; key: number; preferential: boolean; arrival: number }> = [];
  let normals = 0;
  let j = 0;
  let runningMin = Number.POSITIVE_INFINITY;
  waiting.forEach((t, arrival) => {
    if (t.preferential) {
      runningMin = Math.min(runningMin, normals - j * every);
      keyed.push({ id: t.id, key: j * every + Math.min(b, runningMin), preferential: true, arrival });
      j++;
    } else {
      keyed.push({ id: t.id, key: normals, preferential: false, arrival });
      normals++;
    }
  });
  keyed.sort((x, y) => x.key - y.key || Number(y.preferential) - Number(x.preferential) || x.arrival - y.arrival);
  return new Map(keyed.map((k, i) => [k.id, i + 1]));
}
