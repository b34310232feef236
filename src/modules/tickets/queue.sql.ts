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

/**
 * Advisors online (not OFFLINE) per branch and per queue they serve: the one count every estimate,
 * screen and dashboard uses. Columns branch_office, queue_type, online; filter it by branch outside
 * (PostgreSQL pushes that condition into the grouping).
 */
export const ONLINE_PER_QUEUE = `(select a.branch_office, q.queue_type, count(*)::int as online
  from advisor a cross join lateral json_array_elements_text(a.queue_types) as q(queue_type)
  where a.status <> 'OFFLINE'
  group by a.branch_office, q.queue_type)`;

/**
 * ONLINE_PER_QUEUE's rule for one branch and queue, without the grouping (the take-ticket statement,
 * bench/pgbench/take-ticket.sql); `?` binds branch, then queue type.
 */
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
