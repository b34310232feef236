import type { FloorSettings } from '../../config.js';
import type { Db } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import { estimateWaitMinutes } from '../../domain/estimate.js';
import { serviceDay } from '../../domain/numbering.js';
import type { BranchZones } from '../branches/branch-zones.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { FLOOR_STATES, type FloorState } from '../../domain/floor.js';
import { maskPersonalData } from '../../domain/privacy.js';
import { TICKET_STATUSES, type TicketStatus } from '../../domain/ticket-status.js';
import type { AdvisorService, AdvisorView } from '../advisors/advisor.service.js';
import { callOrderColumns, callOrderCtes } from '../tickets/call-order.sql.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';
import { ACTIVE, ONLINE_PER_QUEUE, WAITING } from '../tickets/queue.sql.js';
import type { WaitEstimator } from '../estimates/wait-estimator.js';
import type { PrinterAlert } from '../printing/printing.service.js';

/** More than this many waiting in one queue raises COLA_CRITICA (SPEC §7). */
export const CRITICAL_QUEUE_LENGTH = 15;
/** Service level: the share of customers called within this many minutes. */
export const SERVICE_LEVEL_MINUTES = 15;

export interface QueueFigures {
  queueType: QueueType;
  waiting: number;
  attending: number;
  advisorsOnline: number;
  /** What a customer taking a number now would be told. */
  estimatedWaitMinutes: number;
  longestWaitMinutes: number;
  createdToday: number;
  completedToday: number;
  cancelledToday: number;
  noShowToday: number;
  /** Customers called to a module today. */
  calledToday: number;
  averageWaitMinutesToday: number | null;
  /** From each visit this queue served (a transferred customer counts in every queue that served them). */
  averageServiceMinutesToday: number | null;
  /** Visits this queue served today (completed here, or served and then transferred on). */
  servedToday: number;
  /** The customers' 1–5 answers to "¿Cómo te atendimos?" for tickets finished in this queue today. */
  ratingsToday: number;
  averageRatingToday: number | null;
  /** Share (0–1) of today's called customers who waited at most SERVICE_LEVEL_MINUTES. */
  serviceLevelToday: number | null;
  /** Share (0–1) of today's called customers who did not come (NO_ATENDIDO); null before anyone was called. */
  noShowRateToday: number | null;
  /** Share (0–1) of today's tickets that were cancelled; null before any ticket. */
  cancellationRateToday: number | null;
}

/** part / whole to three decimals; null when there is no whole. */
const share = (part: number, whole: number): number | null => (whole ? Math.round((part / whole) * 1000) / 1000 : null);

export interface QueueAlert {
  type: 'COLA_CRITICA' | 'COLA_SIN_ASESORES';
  queueType: QueueType;
  branchOffice: string;
  waiting: number;
  mensaje: string;
}

/** An advisor on a pause longer than PAUSE_ALERT_MINUTES (SPEC §12). */
export interface PauseAlert {
  type: 'PAUSA_PROLONGADA';
  branchOffice: string;
  advisorId: number;
  advisorName: string;
  reason: string | null;
  minutes: number;
  mensaje: string;
}

/** SPEC §19: TOTEM_SIN_PAPEL / IMPRESORA_DESCONECTADA, per kiosk device, until a later ticket prints. */
export type Alert = QueueAlert | PauseAlert | PrinterAlert;

export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  eventType?: string;
  /** SPEC §18: the audit's actor, exactly. */
  actor?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** Keyset paging: rows with a smaller id than this. */
  before?: number;
}

/** What the summary needs of a queue (a subset of QueueFigures). */
type SummaryQueue = Pick<
  QueueFigures,
  | 'queueType'
  | 'waiting'
  | 'attending'
  | 'advisorsOnline'
  | 'createdToday'
  | 'completedToday'
  | 'cancelledToday'
  | 'noShowToday'
  | 'calledToday'
  | 'averageWaitMinutesToday'
  | 'averageServiceMinutesToday'
>;

interface SummaryRow {
  branch_office: string;
  queue_type: QueueType;
  waiting: number;
  attending: number;
  online: number;
  created_today: number;
  completed_today: number;
  cancelled_today: number;
  no_show_today: number;
  avg_wait: string | null;
  called_today: number;
  avg_service: string | null;
}

interface QueueRow {
  queue_type: QueueType;
  waiting: number;
  attending: number;
  online: number;
  oldest_waiting: string | null;
  created_today: number;
  completed_today: number;
  cancelled_today: number;
  no_show_today: number;
  avg_wait: string | null;
  avg_service: string | null;
  served_today: number;
  ratings_today: number;
  avg_rating: string | null;
  called_today: number;
  called_in_time: number;
}

const round1 = (value: string | null): number | null => (value == null ? null : Math.round(Number(value) * 10) / 10);

/** The start of the branch's day holding now, as UTC (SPEC §17: its own zone); binds branch, now. */
const DAY_START = `branch_day_start(?, ?::timestamp)`;

/** Minutes per floor state (SPEC §12). */
export type MinutesByState = Record<FloorState, number>;

export interface AdvisorStats extends AdvisorView {
  completedToday: number;
  noShowToday: number;
  /** Minutes in each state since the branch's midnight, from the kept status periods. */
  minutesByStateToday: MinutesByState;
  /** Pause minutes today per reason. */
  pauseMinutesByReasonToday: Record<string, number>;
  ratingsToday: number;
  averageRatingToday: number | null;
}

/** Read models for supervisors: the dashboard, queue and advisor figures, the audit trail. */
export class SupervisionService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      advisors: AdvisorService;
      /** Each branch's zone: its service day (SPEC §17). */
      zones: BranchZones;
      floor: FloorSettings;
      /** The wait-time estimator (SPEC §13); without it, the seed's formula. */
      estimator?: WaitEstimator;
      personalData: PersonalDataCipher;
      /** The tótems' printer alerts (SPEC §19), of one branch or of all. */
      printing?: { alerts(branchOffice?: string): Promise<PrinterAlert[]> };
    },
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  /** The branch's IANA time zone (SPEC §17), for the clocks its pages show. */
  zoneOf(branchOffice: string): Promise<string> {
    return this.deps.zones.of(this.db, branchOffice);
  }

  /** The branch's service day (YYYY-MM-DD) now, in its own zone. */
  private async today(branchOffice: string, now: Date): Promise<string> {
    return serviceDay(now, await this.deps.zones.of(this.db, branchOffice));
  }

  async queueFigures(branchOffice: string, only?: QueueType): Promise<QueueFigures[]> {
    const now = this.deps.clock.now();
    const day = await this.today(branchOffice, now);
    const rows = await this.db.execute<QueueRow[]>(
      `select q.queue_type,
         count(t.id) filter (where t.status in ${WAITING})::int as waiting,
         count(t.id) filter (where t.status = 'ATENDIENDO')::int as attending,
         coalesce((select o.online from ${ONLINE_PER_QUEUE} o where o.branch_office = ? and o.queue_type = q.queue_type), 0) as online,
         min(t.created_at) filter (where t.status in ${WAITING}) as oldest_waiting,
         count(t.id) filter (where t.service_date = ?)::int as created_today,
         count(t.id) filter (where t.service_date = ? and t.status = 'COMPLETADO')::int as completed_today,
         count(t.id) filter (where t.service_date = ? and t.status = 'CANCELADO')::int as cancelled_today,
         count(t.id) filter (where t.service_date = ? and t.status = 'NO_ATENDIDO')::int as no_show_today,
         avg(extract(epoch from t.assigned_at - t.created_at) / 60)
           filter (where t.service_date = ? and t.assigned_at is not null) as avg_wait,
         (select avg(v.service_minutes) from ticket_visit v where v.branch_office = ? and v.queue_type = q.queue_type
            and v.outcome in ('COMPLETADO', 'TRANSFERIDO') and v.called_at >= ${DAY_START}) as avg_service,
         (select count(*)::int from ticket_visit v where v.branch_office = ? and v.queue_type = q.queue_type
            and v.outcome in ('COMPLETADO', 'TRANSFERIDO') and v.called_at >= ${DAY_START}) as served_today,
         count(t.rating) filter (where t.service_date = ?)::int as ratings_today,
         avg(t.rating) filter (where t.service_date = ?) as avg_rating,
         count(t.id) filter (where t.service_date = ? and t.assigned_at is not null)::int as called_today,
         count(t.id) filter (where t.service_date = ? and t.assigned_at is not null
           and t.assigned_at - t.created_at <= make_interval(mins => ${SERVICE_LEVEL_MINUTES}))::int as called_in_time
       -- The queues asked for, bound as one text[] parameter.
       from unnest(?::text[]) as q(queue_type)
       left join ticket t on t.branch_office = ? and t.queue_type = q.queue_type
         and (t.service_date = ? or t.status in ${ACTIVE})
       group by q.queue_type`,
      [
        branchOffice,
        day,
        day,
        day,
        day,
        day,
        branchOffice,
        branchOffice,
        now,
        branchOffice,
        branchOffice,
        now,
        day,
        day,
        day,
        day,
        `{${(only ? [only] : QUEUE_TYPES).join(',')}}`,
        branchOffice,
        day,
      ],
    );
    const order = new Map(QUEUE_TYPES.map((type, i) => [type, i]));
    const promised = this.deps.estimator ? await this.deps.estimator.newArrivalEstimates(this.db, branchOffice, only) : null;
    return rows
      .sort((a, b) => order.get(a.queue_type)! - order.get(b.queue_type)!)
      .map((row) => ({
        queueType: row.queue_type,
        waiting: row.waiting,
        attending: row.attending,
        advisorsOnline: row.online,
        estimatedWaitMinutes: promised?.[row.queue_type] ?? estimateWaitMinutes(row.waiting + 1, row.queue_type, row.online),
        longestWaitMinutes: row.oldest_waiting
          ? Math.max(0, Math.floor((now.getTime() - new Date(`${row.oldest_waiting}Z`).getTime()) / 60_000))
          : 0,
        createdToday: row.created_today,
        completedToday: row.completed_today,
        cancelledToday: row.cancelled_today,
        noShowToday: row.no_show_today,
        calledToday: row.called_today,
        averageWaitMinutesToday: round1(row.avg_wait),
        averageServiceMinutesToday: round1(row.avg_service),
        servedToday: row.served_today,
        ratingsToday: row.ratings_today,
        averageRatingToday: round1(row.avg_rating),
        serviceLevelToday: share(row.called_in_time, row.called_today),
        noShowRateToday: share(row.no_show_today, row.called_today),
        cancellationRateToday: share(row.cancelled_today, row.created_today),
      }));
  }

  /** Advisors paused for longer than PAUSE_ALERT_MINUTES. */
  pauseAlertsFor(branchOffice: string, advisors: readonly AdvisorView[]): PauseAlert[] {
    const limit = this.deps.floor.pauseAlertMinutes;
    return advisors
      .filter((a) => a.floorState === 'PAUSED' && a.minutesInState > limit)
      .map((a) => ({
        type: 'PAUSA_PROLONGADA' as const,
        branchOffice,
        advisorId: a.id,
        advisorName: a.name,
        reason: a.pauseReason,
        minutes: a.minutesInState,
        mensaje: `${a.name} lleva ${a.minutesInState} minutos en pausa (${a.pauseReason ?? 'sin motivo'}), más de ${limit}`,
      }));
  }

  alertsFor(branchOffice: string, queues: readonly Pick<QueueFigures, 'queueType' | 'waiting' | 'advisorsOnline'>[]): Alert[] {
    const alerts: Alert[] = [];
    for (const q of queues) {
      if (q.waiting > CRITICAL_QUEUE_LENGTH) {
        alerts.push({
          type: 'COLA_CRITICA',
          queueType: q.queueType,
          branchOffice,
          waiting: q.waiting,
          mensaje: `La cola ${q.queueType} tiene ${q.waiting} clientes esperando (más de ${CRITICAL_QUEUE_LENGTH})`,
        });
      }
      if (q.waiting > 0 && q.advisorsOnline === 0) {
        alerts.push({
          type: 'COLA_SIN_ASESORES',
          queueType: q.queueType,
          branchOffice,
          waiting: q.waiting,
          mensaje: `Hay ${q.waiting} clientes esperando en ${q.queueType} y ningún asesor conectado que la atienda`,
        });
      }
    }
    return alerts;
  }

  async dashboard(branchOffice: string) {
    const day = await this.today(branchOffice, this.deps.clock.now());
    const [byStatus, queues, advisors, jobs, printerAlerts] = await Promise.all([
      this.db.execute<{ status: TicketStatus; n: number }[]>(
        `select status, count(*)::int as n from ticket
         where branch_office = ? and (service_date = ? or status in ${ACTIVE})
         group by status`,
        [branchOffice, day],
      ),
      this.queueFigures(branchOffice),
      this.advisorStats(branchOffice),
      this.db.execute<{ name: string; last_status: string | null; last_succeeded_at: string | null; last_error: string | null }[]>(
        `select name, last_status, last_succeeded_at, last_error from job_run order by name`,
      ),
      this.deps.printing?.alerts(branchOffice) ?? Promise.resolve([]),
    ]);
    const ticketsByStatus = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
    for (const row of byStatus) ticketsByStatus[row.status] = row.n;
    return {
      branchOffice,
      serviceDate: day,
      generatedAt: this.deps.clock.now().toISOString(),
      ticketsByStatus,
      queues,
      advisors,
      averages: this.weightedAverages(queues),
      alerts: [...this.alertsFor(branchOffice, queues), ...this.pauseAlertsFor(branchOffice, advisors), ...printerAlerts],
      pauseReasons: this.deps.floor.pauseReasons,
      jobs: jobs.map((j) => ({
        name: j.name,
        status: j.last_status,
        lastSucceededAt: j.last_succeeded_at ? new Date(`${j.last_succeeded_at}Z`).toISOString() : null,
        lastError: j.last_error,
      })),
    };
  }

  /**
   * How many waited in each queue through the day, every 15 minutes since the branch's midnight:
   * a ticket waits from its creation until it is called (or ends without being called).
   */
  async waitingOverDay(branchOffice: string): Promise<Array<{ at: string } & Record<QueueType, number>>> {
    const now = this.deps.clock.now();
    const rows = await this.db.execute<{ at: string; queue_type: QueueType; waiting: number }[]>(
      `with day as (
         select ${DAY_START} as start
       ),
       buckets as (
         select generate_series((select start from day), ?::timestamp, interval '15 minutes') as at
         union select ?::timestamp
       )
       select b.at, q.queue_type, count(t.id)::int as waiting
       from buckets b
       cross join unnest(?::text[]) as q(queue_type)
       left join ticket t on t.branch_office = ? and t.queue_type = q.queue_type
         and t.created_at >= (select start from day) and t.created_at <= b.at
         and coalesce(t.assigned_at, t.completed_at, 'infinity'::timestamp) > b.at
       group by b.at, q.queue_type
       order by b.at`,
      [branchOffice, now, now, now, `{${QUEUE_TYPES.join(',')}}`, branchOffice],
    );
    const points = new Map<string, { at: string } & Record<QueueType, number>>();
    for (const row of rows) {
      const at = new Date(`${row.at}Z`).toISOString();
      const point = points.get(at) ?? { at, CAJA: 0, PERSONAL_BANKER: 0, EMPRESAS: 0, GERENCIA: 0 };
      point[row.queue_type] = row.waiting;
      points.set(at, point);
    }
    return [...points.values()];
  }

  /** Today's waiting numbers of some queues, in arrival order: what an advisor may call out of order. */
  async waitingNumbers(branchOffice: string, queues: readonly QueueType[], limit: number): Promise<string[]> {
    const rows = await this.db.execute<{ numero: string }[]>(
      `select numero from ticket where branch_office = ? and queue_type = any(?::text[]) and status in ${WAITING}
       order by queued_at, id limit ?`,
      [branchOffice, `{${queues.join(',')}}`, limit],
    );
    return rows.map((r) => r.numero);
  }

  /** The branches customers can take a number in: those with advisors. */
  async branches(): Promise<string[]> {
    const rows = await this.db.execute<{ branch_office: string }[]>(
      `select distinct branch_office from advisor order by branch_office`,
    );
    return rows.map((r) => r.branch_office);
  }

  /** Every branch at a glance: what is waiting and how the day is going. */
  /**
   * Every branch and the network (SPEC §17: set-based, the same few statements whatever the number
   * of branches): one statement gives every (branch, queue) figure the summary shows — the branch's
   * day from branch_days (its own zone), today's tickets pre-selected by created_at from the
   * earliest branch midnight (a ticket's service day is the branch day it was created in) plus the
   * active ones, advisors online per queue, today's service times from ticket_visit — and one more
   * reads the tótems' printer alerts. Figures and alerts as queueFigures/alertsFor give them.
   */
  async summary() {
    const now = this.deps.clock.now();
    const queues = `{${QUEUE_TYPES.join(',')}}`;
    const [rows, printerAlerts] = await Promise.all([
      this.db.execute<SummaryRow[]>(
        `with days as (
           select branch_office, service_date, day_start from branch_days(?::timestamp)
         ),
         earliest as (select min(day_start) as start from days),
         listed as (
           select distinct branch_office from advisor
           union select distinct branch_office from ticket where status in ${ACTIVE}
         ),
         -- Today's and the active tickets, first counted per branch, queue, day and status (few rows), then per branch day.
         grouped as (
           select t.branch_office, t.queue_type, t.service_date, t.status, count(*) as n, count(t.assigned_at) as called,
             sum(extract(epoch from t.assigned_at - t.created_at) / 60) as wait_sum
           from ticket t
           where t.created_at >= (select start from earliest) or t.status in ${ACTIVE}
           group by t.branch_office, t.queue_type, t.service_date, t.status
         ),
         tickets as (
           select g.branch_office, g.queue_type,
             coalesce(sum(g.n) filter (where g.status in ${WAITING}), 0)::int as waiting,
             coalesce(sum(g.n) filter (where g.status = 'ATENDIENDO'), 0)::int as attending,
             coalesce(sum(g.n) filter (where g.service_date = d.service_date), 0)::int as created_today,
             coalesce(sum(g.n) filter (where g.service_date = d.service_date and g.status = 'COMPLETADO'), 0)::int as completed_today,
             coalesce(sum(g.n) filter (where g.service_date = d.service_date and g.status = 'CANCELADO'), 0)::int as cancelled_today,
             coalesce(sum(g.n) filter (where g.service_date = d.service_date and g.status = 'NO_ATENDIDO'), 0)::int as no_show_today,
             sum(g.wait_sum) filter (where g.service_date = d.service_date)
               / nullif(sum(g.called) filter (where g.service_date = d.service_date), 0) as avg_wait,
             coalesce(sum(g.called) filter (where g.service_date = d.service_date), 0)::int as called_today
           from grouped g
           join days d on d.branch_office = g.branch_office
           where g.service_date = d.service_date or g.status in ${ACTIVE}
           group by g.branch_office, g.queue_type
         ),
         online as ${ONLINE_PER_QUEUE},
         service as (
           select v.branch_office, v.queue_type, avg(v.service_minutes) as avg_service
           from ticket_visit v join days d on d.branch_office = v.branch_office
           where v.called_at >= (select start from earliest) and v.called_at >= d.day_start
             and v.outcome in ('COMPLETADO', 'TRANSFERIDO')
           group by v.branch_office, v.queue_type
         )
         select l.branch_office, q.queue_type,
           coalesce(t.waiting, 0) as waiting, coalesce(t.attending, 0) as attending, coalesce(o.online, 0) as online,
           coalesce(t.created_today, 0) as created_today, coalesce(t.completed_today, 0) as completed_today,
           coalesce(t.cancelled_today, 0) as cancelled_today, coalesce(t.no_show_today, 0) as no_show_today,
           t.avg_wait, coalesce(t.called_today, 0) as called_today, s.avg_service
         from listed l
         cross join unnest(?::text[]) with ordinality as q(queue_type, ord)
         left join tickets t on t.branch_office = l.branch_office and t.queue_type = q.queue_type
         left join online o on o.branch_office = l.branch_office and o.queue_type = q.queue_type
         left join service s on s.branch_office = l.branch_office and s.queue_type = q.queue_type
         order by l.branch_office, q.ord`,
        [now, queues],
      ),
      // The tótems' printer alerts of every branch in one statement.
      this.deps.printing?.alerts() ?? Promise.resolve([]),
    ]);
    const byBranch = new Map<string, SummaryQueue[]>();
    for (const row of rows) {
      const list = byBranch.get(row.branch_office) ?? [];
      list.push({
        queueType: row.queue_type,
        waiting: row.waiting,
        attending: row.attending,
        advisorsOnline: row.online,
        createdToday: row.created_today,
        completedToday: row.completed_today,
        cancelledToday: row.cancelled_today,
        noShowToday: row.no_show_today,
        calledToday: row.called_today,
        averageWaitMinutesToday: round1(row.avg_wait),
        averageServiceMinutesToday: round1(row.avg_service),
      });
      byBranch.set(row.branch_office, list);
    }
    const printerAlertsOf = new Map<string, PrinterAlert[]>();
    for (const alert of printerAlerts) printerAlertsOf.set(alert.branchOffice, [...(printerAlertsOf.get(alert.branchOffice) ?? []), alert]);
    const perBranch = [...byBranch].map(([branch_office, queues]) => {
      const sum = (pick: (q: SummaryQueue) => number) => queues.reduce((acc, q) => acc + pick(q), 0);
      return {
        branchOffice: branch_office,
        waiting: sum((q) => q.waiting),
        attending: sum((q) => q.attending),
        createdToday: sum((q) => q.createdToday),
        completedToday: sum((q) => q.completedToday),
        cancelledToday: sum((q) => q.cancelledToday),
        noShowToday: sum((q) => q.noShowToday),
        ...this.weightedAverages(queues),
        alerts: [...this.alertsFor(branch_office, queues), ...(printerAlertsOf.get(branch_office) ?? [])],
      };
    });
    return {
      generatedAt: now.toISOString(),
      totals: {
        branches: perBranch.length,
        waiting: perBranch.reduce((a, b) => a + b.waiting, 0),
        attending: perBranch.reduce((a, b) => a + b.attending, 0),
        createdToday: perBranch.reduce((a, b) => a + b.createdToday, 0),
        completedToday: perBranch.reduce((a, b) => a + b.completedToday, 0),
        alerts: perBranch.reduce((a, b) => a + b.alerts.length, 0),
      },
      branches: perBranch,
    };
  }

  /** The waiting line of one queue, in order, with masked RUTs. */
  async waitingLine(branchOffice: string, queueType: QueueType) {
    const now = this.deps.clock.now();
    const [figures] = await this.queueFigures(branchOffice, queueType);
    const rows = await this.db.execute<
      {
        numero: string;
        status: TicketStatus;
        national_id_enc: string | null;
        created_at: string;
        pos: number;
        lane: string;
        codigo_referencia: string;
        atencion_preferente: string | null;
        estimated_wait_minutes: number;
      }[]
    >(
      `with call_source as (
         select ${callOrderColumns('w')} from ticket w where w.branch_office = ? and w.queue_type = ? and w.status in ${WAITING}
       ),
       ${callOrderCtes(this.deps.floor.preferentialEvery)}
       select t.numero, t.status, t.national_id_enc, t.created_at, t.codigo_referencia, t.atencion_preferente, t.estimated_wait_minutes,
               o.pos, o.lane
       from call_ordered o join ticket t on t.id = o.id
       order by o.lane, o.pos limit 500`,
      [branchOffice, queueType],
    );
    return {
      branchOffice,
      queueType,
      waiting: figures?.waiting ?? 0,
      advisorsOnline: figures?.advisorsOnline ?? 0,
      tickets: rows.map((r) => ({
        numero: r.numero,
        identificador: r.codigo_referencia,
        status: r.status,
        positionInQueue: r.pos,
        estimatedWaitMinutes: this.deps.estimator
          ? r.estimated_wait_minutes
          : estimateWaitMinutes(r.pos, queueType, figures?.advisorsOnline ?? 0),
        waitingMinutes: Math.max(0, Math.floor((now.getTime() - new Date(`${r.created_at}Z`).getTime()) / 60_000)),
        nationalId: this.deps.personalData.maskedRut(r.national_id_enc),
        atencionPreferente: r.atencion_preferente,
        /** Waiting for this advisor only (a transfer by name), or null for the queue's common line. */
        reservedAdvisorId: Number(r.lane) || null,
      })),
    };
  }

  async advisorStats(branchOffice: string): Promise<AdvisorStats[]> {
    const now = this.deps.clock.now();
    const day = await this.today(branchOffice, now);
    const [advisors, counts, periods] = await Promise.all([
      this.deps.advisors.list(branchOffice),
      this.db.execute<{ advisor_id: string; completed: number; no_show: number; ratings: number; avg_rating: string | null }[]>(
        `select assigned_advisor_id as advisor_id,
                count(*) filter (where status = 'COMPLETADO')::int as completed,
                count(*) filter (where status = 'NO_ATENDIDO')::int as no_show,
                count(rating)::int as ratings,
                avg(rating) as avg_rating
         from ticket where branch_office = ? and service_date = ? and assigned_advisor_id is not null
         group by assigned_advisor_id`,
        [branchOffice, day],
      ),
      // Every status period overlapping today, cut to [midnight, now].
      this.db.execute<{ advisor_id: string; status: FloorState; reason: string | null; minutes: string }[]>(
        `select p.advisor_id, p.status, p.reason,
                sum(extract(epoch from least(coalesce(p.ended_at, ?::timestamp), ?::timestamp) - greatest(p.started_at, ${DAY_START})) / 60) as minutes
         from advisor_status_period p join advisor a on a.id = p.advisor_id
         where a.branch_office = ? and coalesce(p.ended_at, ?::timestamp) > ${DAY_START} and p.started_at < ?
         group by p.advisor_id, p.status, p.reason`,
        [now, now, branchOffice, now, branchOffice, now, branchOffice, now, now],
      ),
    ]);
    const byAdvisor = new Map(counts.map((c) => [Number(c.advisor_id), c]));
    return advisors.map((a) => {
      const minutesByStateToday = Object.fromEntries(FLOOR_STATES.map((st) => [st, 0])) as MinutesByState;
      const pauseMinutesByReasonToday: Record<string, number> = {};
      for (const p of periods.filter((row) => Number(row.advisor_id) === a.id)) {
        const minutes = Math.max(0, Number(p.minutes));
        minutesByStateToday[p.status] += minutes;
        if (p.status === 'PAUSED') {
          const reason = p.reason ?? 'sin motivo';
          pauseMinutesByReasonToday[reason] = Math.round(((pauseMinutesByReasonToday[reason] ?? 0) + minutes) * 10) / 10;
        }
      }
      for (const st of FLOOR_STATES) minutesByStateToday[st] = Math.round(minutesByStateToday[st] * 10) / 10;
      const c = byAdvisor.get(a.id);
      return {
        ...a,
        completedToday: c?.completed ?? 0,
        noShowToday: c?.no_show ?? 0,
        minutesByStateToday,
        pauseMinutesByReasonToday,
        ratingsToday: c?.ratings ?? 0,
        averageRatingToday: round1(c?.avg_rating ?? null),
      };
    });
  }

  async audit(query: AuditQuery) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (query.entityType) add('entity_type = ?', query.entityType);
    if (query.entityId) add('entity_id = ?', query.entityId);
    if (query.eventType) add('event_type = ?', query.eventType);
    // SPEC §18: who did it (`staff:12`, `token:3`, `apikey`, `telegram:…`, `SYSTEM`).
    if (query.actor) add('actor = ?', query.actor);
    if (query.from) add('created_at >= ?', query.from);
    if (query.to) add('created_at < ?', query.to);
    if (query.before) add('id < ?', query.before);
    const rows = await this.db.execute<Record<string, unknown>[]>(
      `select id, entity_type, entity_id, event_type, actor, old_state, new_state, additional_data, ip_address,
              user_agent, created_at
       from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
       order by id desc limit ?`,
      [...params, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((r) => ({
        id: Number(r.id),
        entityType: r.entity_type,
        entityId: r.entity_id,
        eventType: r.event_type,
        actor: r.actor,
        // The table keeps the whole record; what leaves through the API is masked like the logs.
        oldState: maskPersonalData(r.old_state),
        newState: maskPersonalData(r.new_state),
        additionalData: maskPersonalData(r.additional_data),
        ipAddress: r.ip_address,
        userAgent: r.user_agent,
        createdAt: new Date(`${String(r.created_at)}Z`).toISOString(),
      })),
      nextBefore: rows.length > query.limit ? Number(page[page.length - 1]!.id) : null,
    };
  }

  private weightedAverages(queues: readonly SummaryQueue[]) {
    const weighted = (value: (q: SummaryQueue) => number | null, weight: (q: SummaryQueue) => number) => {
      let total = 0;
      let count = 0;
      for (const q of queues) {
        const v = value(q);
        if (v != null) {
          total += v * weight(q);
          count += weight(q);
        }
      }
      return count ? Math.round((total / count) * 10) / 10 : null;
    };
    return {
      averageWaitMinutesToday: weighted((q) => q.averageWaitMinutesToday, (q) => q.calledToday),
      averageServiceMinutesToday: weighted((q) => q.averageServiceMinutesToday, (q) => q.completedToday),
    };
  }
}
