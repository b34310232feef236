import { QUEUES } from '../../domain/queue-types.js';
import { ACTIVE_STATUSES, WAITING_STATUSES } from '../../domain/ticket-status.js';

/*
 * SQL shared by every place that counts a queue, so positions and estimates agree
 * between the kiosk's answer, the bot, the supervisor and the queue job.
 */
const sqlList = (values: readonly string[]): string => `(${values.map((v) => `'${v}'`).join(', ')})`;
/** The statuses of src/domain/ticket-status.ts as SQL lists, for `status in ${WAITING}`. */
export const WAITING = sqlList(WAITING_STATUSES);
export const ACTIVE = sqlList(ACTIVE_STATUSES);

/** Advisors of a branch who serve a queue and are not OFFLINE; `?` binds branch, then queue type. */
export const ADVISORS_ONLINE_COUNT = `(select count(*)::int from advisor o
  where o.branch_office = ? and o.status <> 'OFFLINE' and o.queue_types::jsonb @> to_jsonb(?::text))`;

function caseByQueueType(alias: string, pick: (q: (typeof QUEUES)[keyof typeof QUEUES]) => number): string {
  const arms = Object.entries(QUEUES).map(([type, q]) => `when '${type}' then ${pick(q)}`);
  return `(case ${alias}.queue_type ${arms.join(' ')} end)`;
}

/** The queue's average service minutes, for rows of `alias`. */
export const queueMinutesSql = (alias: string): string => caseByQueueType(alias, (q) => q.averageMinutes);

/** The queue's priority (GERENCIA highest), for rows of `alias`. */
export const queuePrioritySql = (alias: string): string => caseByQueueType(alias, (q) => q.priority);
