import { ArrayType, defineEntity, p } from '@mikro-orm/core';
import { between, oneOf } from '../../db/checks.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { Branch } from '../branches/branch.entity.js';

/**
 * SPEC §20: one row per branch × queue × service day (the branch's own) × 30-minute period of the
 * branch's local day (period 0 = 00:00–00:30 … 47 = 23:30–24:00; an hour is two periods). Written
 * only by RollupService (delete + insert of whole days in one transaction). Kept 3 years, so it
 * outlives the 90-day ticket retention. See docs/reports.md for what each figure counts.
 */
export const ReportRollup = defineEntity({
  name: 'ReportRollup',
  tableName: 'report_rollup',
  properties: {
    branch: p.manyToOne(Branch).fieldName('branch_id').primary().deleteRule('no action').updateRule('no action'),
    serviceDate: p.date().primary().index('idx_report_rollup_date'),
    queueType: p.string().length(20).$type<QueueType, string>().primary(),
    period: p.smallint().primary(),
    arrived: p.integer().default(0),
    served: p.integer().default(0),
    noShows: p.integer().default(0),
    cancelled: p.integer().default(0),
    walkouts: p.integer().default(0),
    transferred: p.integer().default(0),
    called: p.integer().default(0),
    calledWithinSla: p.integer().default(0),
    waitSumSeconds: p.bigint('number').default(0),
    /** Called tickets by whole minutes of wait: index 0..120 one minute each, 121 = more than 120. */
    waitHist: p.type(ArrayType<number>).columnType('int[]'),
    serviceCount: p.integer().default(0),
    serviceSumSeconds: p.bigint('number').default(0),
    serviceSumSqSeconds: p.double().default(0),
    ratingCount: p.integer().default(0),
    ratingSum: p.integer().default(0),
    updatedAt: p.datetime().columnType('timestamp'),
  },
  checks: [
    { name: 'report_rollup_queue_type_check', expression: oneOf('queue_type', QUEUE_TYPES) },
    { name: 'report_rollup_period_check', expression: between('period', 0, 47) },
  ],
});

/**
 * SPEC §20: per branch × service day × 30-minute period × advisor: the advisor's minutes (kept as
 * seconds) in each floor state from advisor_status_period, and the customers they served.
 */
export const ReportAdvisorRollup = defineEntity({
  name: 'ReportAdvisorRollup',
  tableName: 'report_advisor_rollup',
  properties: {
    branch: p.manyToOne(Branch).fieldName('branch_id').primary().deleteRule('no action').updateRule('no action'),
    serviceDate: p.date().primary().index('idx_report_advisor_rollup_date'),
    period: p.smallint().primary(),
    /** No foreign key: the history outlives the advisor. */
    advisorId: p.bigint('number').primary(),
    served: p.integer().default(0),
    serviceCount: p.integer().default(0),
    serviceSumSeconds: p.bigint('number').default(0),
    ratingCount: p.integer().default(0),
    ratingSum: p.integer().default(0),
    availableSeconds: p.integer().default(0),
    callingSeconds: p.integer().default(0),
    servingSeconds: p.integer().default(0),
    pausedSeconds: p.integer().default(0),
    updatedAt: p.datetime().columnType('timestamp'),
  },
  checks: [{ name: 'report_advisor_rollup_period_check', expression: between('period', 0, 47) }],
});

/**
 * SPEC §20: per branch × service day, the sum of the day's report_rollup rows (every queue and
 * period) and of its advisors' seconds: what the day, week, month and national reports read, so a
 * national month is 30 rows per branch, not 30 × queues × periods.
 */
export const ReportDailyRollup = defineEntity({
  name: 'ReportDailyRollup',
  tableName: 'report_daily_rollup',
  properties: {
    branch: p.manyToOne(Branch).fieldName('branch_id').primary().deleteRule('no action').updateRule('no action'),
    serviceDate: p.date().primary().index('idx_report_daily_rollup_date'),
    arrived: p.integer().default(0),
    served: p.integer().default(0),
    noShows: p.integer().default(0),
    cancelled: p.integer().default(0),
    walkouts: p.integer().default(0),
    transferred: p.integer().default(0),
    called: p.integer().default(0),
    calledWithinSla: p.integer().default(0),
    waitSumSeconds: p.bigint('number').default(0),
    waitHist: p.type(ArrayType<number>).columnType('int[]'),
    serviceCount: p.integer().default(0),
    serviceSumSeconds: p.bigint('number').default(0),
    serviceSumSqSeconds: p.double().default(0),
    ratingCount: p.integer().default(0),
    ratingSum: p.integer().default(0),
    availableSeconds: p.bigint('number').default(0),
    callingSeconds: p.bigint('number').default(0),
    servingSeconds: p.bigint('number').default(0),
    pausedSeconds: p.bigint('number').default(0),
    updatedAt: p.datetime().columnType('timestamp'),
  },
});
