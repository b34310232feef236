import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import { DATE_MESSAGE, parseCalendarDate } from '../../domain/input-dates.js';
import { serviceDay } from '../../domain/numbering.js';
import type { BranchZones } from '../branches/branch-zones.js';
import { DomainError, ValidationError } from '../../errors.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { dayPlanSchema, issuesToFields, type DayPlan } from './plan.validation.js';

export interface AdvisorDayPlan extends DayPlan {
  advisorId: number;
  date: string;
  /** False when nothing is planned for that day (empty shifts and breaks). */
  planned: boolean;
}

/**
 * Advisors' planned hours per branch day (SPEC §13): the forecast the estimator uses for who
 * will be there. The advisor's real status still decides the present.
 */
export class StaffPlanService {
  constructor(private readonly deps: { db: Db; clock: Clock; zones: BranchZones }) {}

  /** `date` (YYYY-MM-DD) or today in the advisor's branch, in its own zone (SPEC §17). */
  async dateOrToday(advisorId: number, date: string | undefined): Promise<string> {
    if (date === undefined || date === '') {
      const [row] = await this.deps.db.execute<{ branch_office: string }[]>(`select branch_office from advisor where id = ?`, [advisorId]);
      if (!row) throw new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
      return serviceDay(this.deps.clock.now(), await this.deps.zones.of(this.deps.db, row.branch_office));
    }
    if (parseCalendarDate(date) === null) throw new ValidationError({ date: DATE_MESSAGE });
    return date;
  }

  async get(advisorId: number, date: string | undefined): Promise<AdvisorDayPlan> {
    const day = await this.dateOrToday(advisorId, date);
    const [row] = await this.deps.db.execute<{ id: string; shifts: DayPlan['shifts'] | null; breaks: DayPlan['breaks'] | null }[]>(
      `select a.id, p.shifts, p.breaks from advisor a
       left join advisor_plan p on p.advisor_id = a.id and p.plan_date = ?::date where a.id = ?`,
      [day, advisorId],
    );
    if (!row) throw new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
    const shifts = row.shifts ?? [];
    const breaks = row.breaks ?? [];
    return { advisorId, date: day, shifts, breaks, planned: shifts.length > 0 };
  }

  /** Replaces the advisor's plan for a day (an empty plan removes it), audited. */
  async put(advisorId: number, date: string | undefined, body: unknown, origin: Origin): Promise<AdvisorDayPlan> {
    const day = await this.dateOrToday(advisorId, date);
    const parsed = dayPlanSchema.safeParse(body);
    if (!parsed.success) throw new ValidationError(issuesToFields(parsed.error));
    const plan = parsed.data;
    const now = this.deps.clock.now();
    await this.deps.db.transactional(async (tx) => {
      const [advisor] = await tx.execute<{ id: string }[]>(`select id from advisor where id = ? for update`, [advisorId]);
      if (!advisor) throw new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
      if (plan.shifts.length === 0 && plan.breaks.length === 0) {
        await tx.execute(`delete from advisor_plan where advisor_id = ? and plan_date = ?::date`, [advisorId, day]);
      } else {
        await tx.execute(
          `insert into advisor_plan (advisor_id, plan_date, shifts, breaks, updated_at) values (?, ?::date, ?::jsonb, ?::jsonb, ?)
           on conflict (advisor_id, plan_date) do update set shifts = excluded.shifts, breaks = excluded.breaks,
             updated_at = excluded.updated_at`,
          [advisorId, day, JSON.stringify(plan.shifts), JSON.stringify(plan.breaks), now],
        );
      }
      await recordAudit(tx, {
        entityType: 'ADVISOR',
        entityId: advisorId,
        eventType: 'ADVISOR_PLAN_CHANGED',
        origin,
        newState: { date: day, shifts: plan.shifts, breaks: plan.breaks },
        at: now,
      });
    });
    return this.get(advisorId, day);
  }
}
