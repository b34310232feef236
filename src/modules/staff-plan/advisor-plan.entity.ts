import { defineEntity, p } from '@mikro-orm/core';
import { updatedAtColumn } from '../../db/columns.js';
import { Advisor } from '../advisors/advisor.entity.js';

/** A shift: from and to, `HH:MM` branch time. */
export interface PlannedShift {
  from: string;
  to: string;
}

/** A planned break: starts at `HH:MM` branch time and lasts `minutes`. */
export interface PlannedBreak {
  from: string;
  minutes: number;
}

/**
 * An advisor's planned hours for one branch day (SPEC §13): a forecast the estimator uses to
 * know who will be there; the advisor's real status still decides.
 */
export const AdvisorPlan = defineEntity({
  name: 'AdvisorPlan',
  tableName: 'advisor_plan',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    advisor: p.manyToOne(Advisor).fieldName('advisor_id').deleteRule('cascade').updateRule('no action'),
    planDate: p.date().index('idx_advisor_plan_date'),
    shifts: p.json<PlannedShift[]>().columnType('jsonb'),
    breaks: p.json<PlannedBreak[]>().columnType('jsonb'),
    updatedAt: updatedAtColumn(),
  },
  uniques: [{ name: 'uq_advisor_plan_advisor_date', properties: ['advisor', 'planDate'] }],
});
