import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import { estimateWaitMinutes } from '../../domain/estimate.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import type { WaitEstimator } from '../estimates/wait-estimator.js';

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
      timeZone: string;
    },
  ) {}

  async snapshot(branchOffice: string): Promise<ScreenSnapshot> {
    const now = this.deps.clock.now();
    const [called, queues] = await Promise.all([
      this.deps.db.execute<
        { numero: string; assigned_module_number: number; last_called_at: string; queue_type: QueueType; recall_count: number }[]
      >(
        `select numero, assigned_module_number, last_called_at, queue_type, recall_count from ticket
         where branch_office = ? and last_called_at is not null and assigned_module_number is not null
           and last_called_at >= ((date_trunc('day', ?::timestamptz at time zone ?) at time zone ?) at time zone 'UTC')
         order by last_called_at desc, id desc limit ${CALLED_SHOWN}`,
        [branchOffice, now, this.deps.timeZone, this.deps.timeZone],
      ),
      this.deps.outlook.newArrivalOutlook(this.deps.db, branchOffice),
    ]);
    return {
      branchOffice,
      generatedAt: now.toISOString(),
      called: called.map((c) => ({
        numero: c.numero,
        moduleNumber: c.assigned_module_number,
        calledAt: new Date(`${c.last_called_at}Z`).toISOString(),
        queueType: c.queue_type,
        callNumber: Math.max(1, c.recall_count),
      })),
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
