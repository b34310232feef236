import { randomBytes } from 'node:crypto';
import { ManualClock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/sql.js';
import { estimateWaitMinutes } from '../domain/estimate.js';
import { instantOfWallTime } from '../domain/local-time.js';
import { QUEUE_TYPES, type QueueType } from '../domain/queue-types.js';
import { computeCheckDigit } from '../domain/rut.js';
import { EventBus } from '../events.js';
import { minuteOfDay, parseHhmm } from '../modules/staff-plan/plan-time.js';
import { ADVISORS_ONLINE_COUNT } from '../modules/tickets/queue.sql.js';
import { createServices } from '../services.js';
import { PersonalDataCipher } from '../modules/privacy/cipher.js';
import { AdvisorBehaviour, type SimAdvisor } from './advisor-behaviour.js';
import { streams, type Random } from './random.js';
import type { CustomerRecord } from './report.js';
import type { BranchScenario, Scenario } from './scenario.js';
import { ensureBranch } from '../modules/branches/default-branch.js';

/** The queue job's period in virtual time (the app's default is 5 s; 30 s keeps a day under a minute). */
export const SIM_TICK_MS = 30_000;
/** The first simulated day (a Monday in the branch's winter: no daylight-saving change for 31 days). */
export const FIRST_DAY = '2026-06-01';
/** Patience of a customer who would cancel: they give up after this many minutes unless called. */
export const PATIENCE_MINUTES = { min: 8, max: 40 } as const;

interface Customer {
  record: CustomerRecord;
  codigo: string;
  ticketId: number;
  noShow: boolean;
  serviceMinutes: number;
  cancelled: boolean;
}

interface Event {
  at: number;
  seq: number;
  work: () => Promise<void>;
}

/** A binary heap of events by time, then by insertion: the same scenario runs the same way. */
class EventQueue {
  private readonly heap: Event[] = [];
  private seq = 0;

  push(at: number, work: () => Promise<void>): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, work });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(heap[parent]!, heap[i]!)) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  pop(): Event | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }

  get size(): number {
    return this.heap.length;
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export interface Progress {
  day: number;
  days: number;
  virtualTime: string;
  customers: number;
  waiting: number;
}

/**
 * Runs a scenario's days through the app's own services on a migrated, empty database, with a
 * virtual clock: customers take numbers at the kiosk service, advisors follow their shifts and
 * breaks through the advisor service, the queue job runs every SIM_TICK_MS. Returns what each
 * customer was promised and what happened.
 */
export async function runScenario(
  scenario: Scenario,
  deps: { db: Db; config: Config; onProgress?: (p: Progress) => void },
): Promise<CustomerRecord[]> {
  const { db, config } = deps;
  const tz = config.branchTimeZone;
  const start = instantOfWallTime(FIRST_DAY, 0, tz);
  const clock = new ManualClock(new Date(start));
  const events = new EventBus();
  // SPEC §14: the simulated customers' RUTs are encrypted as the app's are, under throwaway keys.
  const personalData = new PersonalDataCipher({ dataKeys: [{ id: 'sim', key: randomBytes(32) }], blindIndexKey: randomBytes(32) });
  // Statistics re-read when stale, never served stale meanwhile: the same seed gives the same day.
  const services = createServices({ db, clock, events, config, links: { start: () => null }, personalData, waitForFreshStatistics: true });
  const random = streams(scenario.seed);
  const queue = new EventQueue();
  const schedule = (at: number, work: () => Promise<void>) => queue.push(at, work);

  const advisorsById = new Map<number, SimAdvisor>();
  const advisorsOf = new Map<string, SimAdvisor[]>();
  const customers = new Map<number, Customer>();
  const records: CustomerRecord[] = [];
  const assigned: { ticketId: number; advisorId: number }[] = [];
  events.on('ticket.assigned', ({ ticketId, advisorId }) => assigned.push({ ticketId, advisorId }));

  const minutesNow = () => (clock.now().getTime() - start) / 60_000;
  const behaviour = new AdvisorBehaviour({
    floor: services.floor,
    schedule,
    now: () => clock.now().getTime(),
    random: random.service,
    recallEverySeconds: Math.max(45, config.floor.recallMinIntervalSeconds),
    afterAction: async () => drainAssigned(),
  });

  // Calls made by the app since the last look: each called customer starts being served.
  function drainAssigned(): void {
    while (assigned.length > 0) {
      const { ticketId, advisorId } = assigned.shift()!;
      const customer = customers.get(ticketId);
      const advisor = advisorsById.get(advisorId);
      if (!customer || !advisor) continue;
      customer.record.calledAt ??= minutesNow();
      behaviour.onCalled(advisor, ticketId, customer);
    }
  }

  await setUpBranches(db, scenario, advisorsById, advisorsOf, clock.now(), { timeZone: tz, closingTime: config.floor.closingTime });

  let rutSequence = 0;
  for (let day = 0; day < scenario.days; day++) {
    const date = addDays(FIRST_DAY, day);
    for (const branch of scenario.branches) {
      const sims = advisorsOf.get(branch.name)!;
      // The scenario's plan goes into the app, where the estimator reads it (SPEC §13).
      for (const [i, a] of branch.advisors.entries()) {
        await services.staffPlan.put(sims[i]!.id, date, { shifts: a.shifts, breaks: a.breaks }, { actor: 'SYSTEM' });
      }
      scheduleAdvisors(branch, date, tz, sims, behaviour, schedule);
      scheduleArrivals(branch, date, tz, random.arrivals, (at, queueType) =>
        schedule(at, async () => {
          await arrive(branch, queueType, day);
        }),
      );
      // The day ends: whoever still waits after the last shift is sent home (never called).
      const lastShiftEnd = Math.max(...branch.advisors.flatMap((a) => a.shifts.map((s) => parseHhmm(s.to))));
      schedule(instantOfWallTime(date, lastShiftEnd + 1, tz), async () => {
        for (const c of customers.values()) {
          if (c.record.branch === branch.name && c.record.calledAt === null && !c.cancelled) {
            c.cancelled = true;
            await services.tickets.cancel(c.codigo, { actor: 'SYSTEM' });
          }
        }
      });
    }
  }

  async function arrive(branch: BranchScenario, queueType: QueueType, day: number): Promise<void> {
    const r = random.customers;
    const number = 10_000_000 + ++rutSequence;
    const nationalId = `${number}-${computeCheckDigit(String(number))}`;
    const telegram = r.chance(branch.telegramShare);
    const telefono = telegram ? `+569${String(10_000_000 + rutSequence).slice(-8)}` : null;
    const noShow = r.chance(branch.noShowRate);
    const willCancel = r.chance(branch.cancelRate);
    const patience = r.uniform(PATIENCE_MINUTES.min, PATIENCE_MINUTES.max);
    const comeBack = telegram && r.chance(branch.comeBackShare) ? r.pick(branch.comeBackLeadMinutes) : null;
    // Drawn now for every customer, so the service stream does not depend on the order of calls.
    const { mean, sd } = branch.serviceMinutes[queueType];
    const serviceMinutes = random.service.lognormal(mean, sd);
    const preferential = r.chance(branch.preferentialShare);

    const [online] = await db.execute<{ online: number }[]>(`select ${ADVISORS_ONLINE_COUNT} as online`, [branch.name, queueType]);
    const view = await services.tickets.takeTicket(
      { nationalId, telefono, branchOffice: branch.name, queueType, atencionPreferente: preferential ? 'TERCERA_EDAD' : null },
      { actor: 'KIOSK' },
    );
    const ticketId = await services.tickets.idOf(view.identificador);
    const createdAt = minutesNow();
    const record: CustomerRecord = {
      day,
      branch: branch.name,
      queueType,
      hour: Math.floor(minuteOfDay(clock.now(), tz) / 60),
      createdAt,
      ahead: view.positionInQueue - 1,
      estimate: view.estimatedWaitMinutes,
      baseline: estimateWaitMinutes(view.positionInQueue, queueType, online?.online ?? 0),
      calledAt: null,
      comeBackLead: comeBack,
      // The position rule tells those who did not ask; those who asked are told by time only (SPEC §13).
      noticeAt: comeBack === null && view.status === 'PROXIMO' ? createdAt : null,
    };
    records.push(record);
    const customer: Customer = { record, codigo: view.identificador, ticketId, noShow, serviceMinutes, cancelled: false };
    customers.set(ticketId, customer);
    if (comeBack !== null) await services.comeBack.request(ticketId, comeBack);
    // main.ts asks for an assignment on every new ticket; the simulator waits for it.
    await services.assignment.assignAvailable(branch.name);
    drainAssigned();
    if (willCancel) {
      schedule(clock.now().getTime() + patience * 60_000, async () => {
        if (customer.record.calledAt !== null || customer.cancelled) return;
        customer.cancelled = true;
        await services.tickets.cancel(customer.codigo, { actor: 'KIOSK' });
      });
    }
  }

  // The queue job, every SIM_TICK_MS while anything else is scheduled.
  const tick = async (): Promise<void> => {
    const result = await services.queue.tick();
    drainAssigned();
    const now = minutesNow();
    for (const id of result.becameProximo) {
      const c = customers.get(id);
      if (c && c.record.comeBackLead === null && c.record.noticeAt === null) c.record.noticeAt = now;
    }
    for (const id of result.comeBackNotified) {
      const c = customers.get(id);
      if (c && c.record.noticeAt === null) c.record.noticeAt = now;
    }
    if (queue.size > 0) schedule(clock.now().getTime() + SIM_TICK_MS, tick);
  };
  const firstOpen = Math.min(...scenario.branches.map((b) => parseHhmm(b.opensAt)));
  schedule(instantOfWallTime(FIRST_DAY, firstOpen, tz), tick);

  let lastReport = 0;
  for (let event = queue.pop(); event; event = queue.pop()) {
    if (event.at > clock.now().getTime()) clock.set(new Date(event.at));
    await event.work();
    drainAssigned();
    if (deps.onProgress && performance.now() - lastReport > 250) {
      lastReport = performance.now();
      const local = minuteOfDay(clock.now(), tz);
      deps.onProgress({
        day: Math.min(scenario.days, Math.floor(minutesNow() / 1440) + 1),
        days: scenario.days,
        virtualTime: `${String(Math.floor(local / 60)).padStart(2, '0')}:${String(Math.floor(local % 60)).padStart(2, '0')}`,
        customers: records.length,
        waiting: waitingCount(customers),
      });
    }
  }
  return records;
}

function waitingCount(customers: Map<number, Customer>): number {
  let n = 0;
  for (const c of customers.values()) if (!c.cancelled && c.record.calledAt === null) n++;
  return n;
}

/** The scenario's branches and advisors replace the seed's: a clean floor for the run. */
async function setUpBranches(
  db: Db,
  scenario: Scenario,
  advisorsById: Map<number, SimAdvisor>,
  advisorsOf: Map<string, SimAdvisor[]>,
  now: Date,
  defaults: { timeZone: string; closingTime: string },
): Promise<void> {
  await db.execute(`delete from advisor`);
  let n = 0;
  for (const branch of scenario.branches) {
    await ensureBranch(db, { name: branch.name, ...defaults });
    for (const [i, a] of branch.advisors.entries()) {
      n++;
      const email = `asesor${n}@sim.banco.com`;
      const [row] = await db.execute<{ id: string }[]>(
        `insert into advisor (name, email, status, module_number, assigned_tickets_count, workload_minutes,
           average_service_time_minutes, total_tickets_served_today, queue_types, branch_office, created_at, updated_at)
         values (?, ?, 'OFFLINE', ?, 0, 0, 0, 0, ?::json, ?, ?, ?) returning id`,
        // Virtual time, not the server's: how long an advisor has been in a state feeds the estimator.
        [a.name, email, (i % 99) + 1, JSON.stringify(a.queues), branch.name, now, now],
      );
      const id = Number(row!.id);
      const sim: SimAdvisor = {
        id,
        email,
        serving: null,
        pendingBreakMinutes: null,
        pendingOffline: false,
        onBreak: false,
        onShift: false,
      };
      advisorsById.set(id, sim);
      advisorsOf.set(branch.name, [...(advisorsOf.get(branch.name) ?? []), sim]);
    }
  }
}

/** Each advisor's shifts and breaks of the day, as events. */
function scheduleAdvisors(
  branch: BranchScenario,
  date: string,
  tz: string,
  sims: SimAdvisor[],
  behaviour: AdvisorBehaviour,
  schedule: (at: number, work: () => Promise<void>) => void,
): void {
  branch.advisors.forEach((a, i) => {
    const sim = sims[i]!;
    for (const shift of a.shifts) {
      schedule(instantOfWallTime(date, parseHhmm(shift.from), tz), () => behaviour.startShift(sim));
      schedule(instantOfWallTime(date, parseHhmm(shift.to), tz), () => behaviour.endShift(sim));
    }
    for (const b of a.breaks) schedule(instantOfWallTime(date, parseHhmm(b.from), tz), () => behaviour.startBreak(sim, b.minutes));
  });
}

/** Poisson arrivals by the hourly profile, within opening hours. */
function scheduleArrivals(
  branch: BranchScenario,
  date: string,
  tz: string,
  random: Random,
  onArrival: (atMs: number, queueType: QueueType) => void,
): void {
  const opens = parseHhmm(branch.opensAt);
  const closes = parseHhmm(branch.closesAt);
  for (const queueType of QUEUE_TYPES) {
    const profile = branch.arrivals[queueType];
    for (let hour = Math.floor(opens / 60); hour * 60 < closes; hour++) {
      const perHour = profile[String(hour)] ?? 0;
      if (perHour <= 0) continue;
      const from = Math.max(opens, hour * 60);
      const to = Math.min(closes, hour * 60 + 60);
      let t = from + random.exponential(60 / perHour);
      while (t < to) {
        onArrival(instantOfWallTime(date, t, tz), queueType);
        t += random.exponential(60 / perHour);
      }
    }
  }
}
