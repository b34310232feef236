/*
 * A known day for the report tests (SPEC §20 "truth"): tickets, visits and advisor status
 * periods inserted by hand in two branches of different time zones, and the same day kept in
 * plain TypeScript so every figure can be computed straight from it — never through the app's
 * rollup SQL.
 */
import type { TestDatabase } from './database.js';
import { seedBranch } from './branch.js';

export type Status = 'COMPLETADO' | 'NO_ATENDIDO' | 'CANCELADO';
export type Queue = 'CAJA' | 'PERSONAL_BANKER';

export interface KnownTicket {
  branch: string;
  createdAt: Date;
  /** The queue it arrived in; `finalQueue` differs when it was transferred. */
  firstQueue: Queue;
  finalQueue: Queue;
  status: Status;
  assignedAt: Date | null;
  serviceStartedAt: Date | null;
  completedAt: Date | null;
  advisorId: number | null;
  rating: number | null;
  transferred: boolean;
}

export interface KnownPeriod {
  branch: string;
  advisorId: number;
  status: 'AVAILABLE' | 'CALLING' | 'SERVING' | 'PAUSED' | 'OFFLINE';
  startedAt: Date;
  endedAt: Date;
}

export interface KnownBranch {
  name: string;
  code: string;
  id: number;
  timeZone: string;
  /** UTC offset in minutes on the day (no change of time that day). */
  offsetMinutes: number;
  advisors: number[];
}

export interface KnownDay {
  date: string;
  branches: KnownBranch[];
  tickets: KnownTicket[];
  periods: KnownPeriod[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The instant of a local wall time of `date` in a branch whose offset that day is `offsetMinutes`. */
export function localInstant(date: string, minutesOfDay: number, offsetMinutes: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) + (minutesOfDay - offsetMinutes) * 60_000);
}

/** The 30-minute period of the branch's local day an instant falls in (computed with Intl, not SQL). */
export function localPeriod(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return hour * 2 + Math.floor(minute / 30);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Builds the day: in each branch `perBranch` tickets between 09:00 and 14:00 local, served,
 * no-shows, cancelled before and after a call, left waiting at closing, transferred; waits from
 * 0 to 150 minutes (some beyond the 120-minute bucket); two advisors with status periods, one of
 * them started the evening before (clipped to the day).
 */
export async function buildKnownDay(
  db: TestDatabase,
  options: { date: string; seed: number; perBranch: number; branches: Array<{ name: string; timeZone: string; offsetMinutes: number }> },
): Promise<KnownDay> {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const day: KnownDay = { date: options.date, branches: [], tickets: [], periods: [] };
  let numero = 0;
  for (const spec of options.branches) {
    const ids = await seedBranch(db, spec.name, [
      { name: 'Ana', module: 1, queues: ['CAJA', 'PERSONAL_BANKER'] },
      { name: 'Beto', module: 2, queues: ['CAJA', 'PERSONAL_BANKER'] },
    ]);
    await db.query('update branch set timezone = $1 where name = $2', [spec.timeZone, spec.name]);
    const [row] = await db.query<{ id: string; code: string }>('select id, code from branch where name = $1', [spec.name]);
    const branch: KnownBranch = {
      name: spec.name,
      code: row!.code,
      id: Number(row!.id),
      timeZone: spec.timeZone,
      offsetMinutes: spec.offsetMinutes,
      advisors: [ids.Ana!, ids.Beto!],
    };
    day.branches.push(branch);

    for (let i = 0; i < options.perBranch; i++) {
      const createdAt = new Date(localInstant(options.date, 9 * 60, spec.offsetMinutes).getTime() + Math.floor(random() * 5 * 3600) * SECOND);
      const firstQueue = pick<Queue>(['CAJA', 'PERSONAL_BANKER']);
      const r = random();
      const waitSeconds = Math.floor(random() * 150 * 60);
      const advisorId = pick(branch.advisors);
      let t: KnownTicket;
      const assignedAt = new Date(createdAt.getTime() + waitSeconds * SECOND);
      if (r < 0.55 || (r >= 0.85 && r < 0.95)) {
        const transferred = r >= 0.85;
        const confirmed = random() < 0.8;
        const serviceStartedAt = confirmed ? new Date(assignedAt.getTime() + (30 + Math.floor(random() * 90)) * SECOND) : null;
        const completedAt = new Date((serviceStartedAt ?? assignedAt).getTime() + Math.floor(120 + random() * 1800) * SECOND);
        t = {
          branch: spec.name, createdAt, firstQueue, finalQueue: transferred ? (firstQueue === 'CAJA' ? 'PERSONAL_BANKER' : 'CAJA') : firstQueue,
          status: 'COMPLETADO', assignedAt, serviceStartedAt, completedAt, advisorId,
          rating: random() < 0.6 ? 1 + Math.floor(random() * 5) : null, transferred,
        };
      } else if (r < 0.65) {
        t = { branch: spec.name, createdAt, firstQueue, finalQueue: firstQueue, status: 'NO_ATENDIDO', assignedAt, serviceStartedAt: null,
          completedAt: null, advisorId, rating: null, transferred: false };
      } else if (r < 0.72) {
        t = { branch: spec.name, createdAt, firstQueue, finalQueue: firstQueue, status: 'NO_ATENDIDO', assignedAt: null, serviceStartedAt: null,
          completedAt: null, advisorId: null, rating: null, transferred: false };
      } else if (r < 0.8) {
        t = { branch: spec.name, createdAt, firstQueue, finalQueue: firstQueue, status: 'CANCELADO', assignedAt: null, serviceStartedAt: null,
          completedAt: null, advisorId: null, rating: null, transferred: false };
      } else {
        t = { branch: spec.name, createdAt, firstQueue, finalQueue: firstQueue, status: 'CANCELADO', assignedAt, serviceStartedAt: null,
          completedAt: null, advisorId, rating: null, transferred: false };
      }
      // A few waits exactly on the service level's edge (15 min) and on a bucket's edge.
      if (t.assignedAt && i % 17 === 0) t.assignedAt = new Date(createdAt.getTime() + 15 * MINUTE);
      numero++;
      const ended = t.completedAt ?? t.assignedAt ?? new Date(createdAt.getTime() + 3600 * SECOND);
      const [inserted] = await db.query<{ id: string }>(
        `insert into ticket (codigo_referencia, numero, branch_office, queue_type, status, position_in_queue, estimated_wait_minutes,
           assigned_advisor_id, assigned_at, service_started_at, completed_at, rating, service_date, created_at, updated_at, end_reason)
         values (gen_random_uuid(), $1, $2, $3, $4, 0, 0, $5, $6::timestamp, $7::timestamp, $8::timestamp, $9, $10::date,
           $11::timestamp, $12::timestamp, $13) returning id`,
        [
          `R${String(numero).padStart(4, '0')}`, spec.name, t.finalQueue, t.status, t.advisorId, t.assignedAt?.toISOString() ?? null,
          t.serviceStartedAt?.toISOString() ?? null, t.completedAt?.toISOString() ?? null, t.rating, options.date,
          createdAt.toISOString(), ended.toISOString(), t.status === 'NO_ATENDIDO' && !t.assignedAt ? 'cierre del día' : null,
        ],
      );
      const ticketId = Number(inserted!.id);
      if (t.assignedAt && t.advisorId) {
        if (t.transferred) {
          const transferAt = new Date(t.assignedAt.getTime() + 5 * MINUTE);
          await visit(db, ticketId, spec.name, t.firstQueue, pick(branch.advisors), t.assignedAt, transferAt, 'TRANSFERIDO');
          await visit(db, ticketId, spec.name, t.finalQueue, t.advisorId, new Date(transferAt.getTime() + MINUTE), t.completedAt!, 'COMPLETADO');
        } else {
          const outcome = t.status === 'COMPLETADO' ? 'COMPLETADO' : t.status;
          await visit(db, ticketId, spec.name, t.firstQueue, t.advisorId, t.assignedAt, ended, outcome);
        }
      }
      day.tickets.push(t);
    }

    // Status periods: from 23:50 the evening before (clipped) through the day, one open-ended shift of states.
    for (const advisorId of branch.advisors) {
      let at = localInstant(options.date, -10, spec.offsetMinutes);
      const end = localInstant(options.date, 15 * 60 + 7, spec.offsetMinutes);
      while (at < end) {
        const status = pick(['AVAILABLE', 'CALLING', 'SERVING', 'SERVING', 'PAUSED', 'OFFLINE'] as const);
        const next = new Date(Math.min(end.getTime(), at.getTime() + Math.floor(60 + random() * 2400) * SECOND));
        await db.query(
          `insert into advisor_status_period (advisor_id, status, reason, started_at, ended_at) values ($1, $2, $3, $4::timestamp, $5::timestamp)`,
          [advisorId, status, status === 'PAUSED' ? 'Colación' : null, at.toISOString(), next.toISOString()],
        );
        day.periods.push({ branch: spec.name, advisorId, status, startedAt: at, endedAt: next });
        at = next;
      }
    }
  }
  return day;
}

async function visit(
  db: TestDatabase, ticketId: number, branch: string, queue: Queue, advisorId: number, calledAt: Date, endedAt: Date, outcome: string,
): Promise<void> {
  await db.query(
    `insert into ticket_visit (ticket_id, branch_office, queue_type, advisor_id, called_at, ended_at, outcome)
     values ($1, $2, $3, $4, $5::timestamp, $6::timestamp, $7)`,
    [ticketId, branch, queue, advisorId, calledAt.toISOString(), endedAt.toISOString(), outcome],
  );
}

/* ---- The figures, straight from the known day ---- */

export const waitSeconds = (t: KnownTicket): number | null => (t.assignedAt ? Math.max(0, (t.assignedAt.getTime() - t.createdAt.getTime()) / 1000) : null);
export const serviceSeconds = (t: KnownTicket): number | null =>
  t.status === 'COMPLETADO' && t.completedAt ? Math.max(0, (t.completedAt.getTime() - (t.serviceStartedAt ?? t.assignedAt)!.getTime()) / 1000) : null;
export const bucketOf = (seconds: number): number => Math.min(121, Math.floor(seconds / 60));

/** Nearest rank over the waits' whole minutes (121 = beyond 120): the report's percentile. */
export function percentile(waits: number[], p: number): number | null {
  if (waits.length === 0) return null;
  const minutes = waits.map(bucketOf).sort((a, b) => a - b);
  return minutes[Math.max(0, Math.ceil(p * minutes.length) - 1)]!;
}

/** Seconds of each state an advisor's periods put inside [from, to). */
export function stateSeconds(periods: KnownPeriod[], from: Date, to: Date): Record<string, number> {
  const out: Record<string, number> = { AVAILABLE: 0, CALLING: 0, SERVING: 0, PAUSED: 0, OFFLINE: 0 };
  for (const p of periods) {
    const s = Math.max(p.startedAt.getTime(), from.getTime());
    const e = Math.min(p.endedAt.getTime(), to.getTime());
    if (e > s) out[p.status] = out[p.status]! + Math.round((e - s) / 1000);
  }
  return out;
}
