import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import { estimateWaitMinutes } from '../../domain/estimate.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import type { WaitEstimator } from '../estimates/wait-estimator.js';
import { ONLINE_PER_QUEUE } from '../tickets/queue.sql.js';

/** What the waiting-room screen shows: numbers and modules only, never personal data. */
export interface ScreenSnapshot {
  branchOffice: string;
  generatedAt: string;
  /** The last numbers called to a module today, newest first. */
  called: Array<{
    numero: string;
    moduleNumber: number;
    /** The latest call: a recall moves it, so the screen flashes the number again. */
    calledAt: string;
    queueType: QueueType;
    /** 1 for the first call, 2 for "2.º llamado"… (SPEC §12). */
    callNumber: number;
  }>;
  queues: Array<{ queueType: QueueType; waiting: number; estimatedWaitMinutes: number }>;
}

const CALLED_SHOWN = 8;

/**
 * What a snapshot is made of, as one comparable string: the numbers called today (as shown), and per
 * queue who waits and how many who serve it are online. The same for a snapshot and for the sweep's
 * one statement over every branch (sweepKeys), so a branch is snapshotted again only where it moved.
 */
export type ScreenKey = string;

/** A snapshot and the key it was made from. */
export interface KeyedSnapshot {
  snapshot: ScreenSnapshot;
  key: ScreenKey;
}

type CalledRow = { numero: string; assigned_module_number: number; last_called_at: string; queue_type: QueueType; recall_count: number };

const calledOf = (rows: CalledRow[]): ScreenSnapshot['called'] =>
  rows.map((c) => ({
    numero: c.numero,
    moduleNumber: c.assigned_module_number,
    // Plain rows give `2026-12-05 12:00:00.1`, JSON `2026-12-05T12:00:00.1`: the same instant either way.
    calledAt: new Date(`${c.last_called_at.replace(' ', 'T')}Z`).toISOString(),
    queueType: c.queue_type,
    callNumber: Math.max(1, c.recall_count),
  }));

const keyOf = (called: ScreenSnapshot['called'], waiting: Partial<Record<string, number>>, online: Partial<Record<string, number>>): ScreenKey =>
  JSON.stringify([called, QUEUE_TYPES.map((q) => waiting[q] ?? 0), QUEUE_TYPES.map((q) => online[q] ?? 0)]);


/**
 * The sweep's one statement, for any number of branches: per branch what a snapshot is made of
 * (today's last calls, waiting per queue as the database keeps it, advisors online per queue).
 * Each branch's day starts at its own midnight (SPEC §17). Params: branches (text[]), now.
 */
const SWEEP_SQL = `select b.branch_office,
    coalesce((select json_agg(json_build_object('numero', c.numero, 'assigned_module_number', c.assigned_module_number,
                'last_called_at', c.last_called_at, 'queue_type', c.queue_type, 'recall_count', c.recall_count)
              order by c.last_called_at desc, c.id desc)
       from (select t.id, t.numero, t.assigned_module_number, t.last_called_at, t.queue_type, t.recall_count from ticket t
             where t.branch_office = b.branch_office and t.last_called_at is not null and t.assigned_module_number is not null
               and t.last_called_at >= d.day_start
             order by t.last_called_at desc, t.id desc limit ${CALLED_SHOWN}) c), '[]'::json) as called,
    (select coalesce(json_object_agg(w.queue_type, w.waiting), '{}'::json) from ticket_waiting_count w
       where w.branch_office = b.branch_office and w.waiting > 0) as waiting,
    (select coalesce(json_object_agg(o.queue_type, o.online), '{}'::json) from ${ONLINE_PER_QUEUE} o
       where o.branch_office = b.branch_office) as online
  from unnest(?::text[]) as b(branch_office)
  cross join lateral (select branch_day_start(b.branch_office, ?::timestamp) as day_start) d`;

/** The channel on which the database announces, with the branch as payload, a change a screen shows (migration 20261130130000). */
export const SCREEN_CHANNEL = 'ticketero_screens';

export class ScreenService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      /** Who waits and who serves each queue, and the newcomer's promise: one live read (not the dashboard's figures). */
      outlook: WaitEstimator;
      /** false under WAIT_ESTIMATOR=formula: the seed's formula is shown. */
      replay: boolean;
    },
  ) {}

  async snapshot(branchOffice: string): Promise<ScreenSnapshot> {
    return (await this.keyedSnapshot(branchOffice)).snapshot;
  }

  /** A branch's snapshot with the key it was made from (what the sweep compares). */
  async keyedSnapshot(branchOffice: string): Promise<KeyedSnapshot> {
    const now = this.deps.clock.now();
    const [rows, queues] = await Promise.all([
      this.deps.db.execute<CalledRow[]>(
        `select numero, assigned_module_number, last_called_at, queue_type, recall_count from ticket
         where branch_office = ? and last_called_at is not null and assigned_module_number is not null
           and last_called_at >= branch_day_start(?, ?::timestamp)
         order by last_called_at desc, id desc limit ${CALLED_SHOWN}`,
        [branchOffice, branchOffice, now],
      ),
      this.deps.outlook.newArrivalOutlook(this.deps.db, branchOffice),
    ]);
    const called = calledOf(rows);
    const key = keyOf(
      called,
      Object.fromEntries(QUEUE_TYPES.map((q) => [q, queues[q].waiting])),
      Object.fromEntries(QUEUE_TYPES.map((q) => [q, queues[q].online])),
    );
    return { key, snapshot: this.build(branchOffice, now, called, queues) };
  }

  /**
   * The sweep (SPEC §16): for every branch given, in ONE statement whatever their number, the key
   * of what its snapshot would be made of now. A branch whose key moved since its last snapshot
   * missed a change notification; the others cost nothing more.
   */
  async sweepKeys(branches: readonly string[]): Promise<Map<string, ScreenKey>> {
    if (branches.length === 0) return new Map();
    const now = this.deps.clock.now();
    const rows = await this.deps.db.execute<
      { branch_office: string; called: CalledRow[]; waiting: Record<string, number>; online: Record<string, number> }[]
    >(SWEEP_SQL, [[...branches], now]);
    return new Map(rows.map((r) => [r.branch_office, keyOf(calledOf(r.called), r.waiting, r.online)]));
  }

  private build(
    branchOffice: string,
    now: Date,
    called: ScreenSnapshot['called'],
    queues: Awaited<ReturnType<WaitEstimator['newArrivalOutlook']>>,
  ): ScreenSnapshot {
    return {
      branchOffice,
      generatedAt: now.toISOString(),
      called,
      queues: QUEUE_TYPES.map((queueType) => {
        const { waiting, online, minutes } = queues[queueType];
        return {
          queueType,
          waiting,
          estimatedWaitMinutes: this.deps.replay ? minutes : estimateWaitMinutes(waiting + 1, queueType, online),
        };
      }),
    };
  }
}
