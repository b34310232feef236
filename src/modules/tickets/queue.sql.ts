/*
 * SQL shared by every place that counts a queue, so positions and estimates agree
 * between the kiosk's answer, the bot and the queue job.
 */
export const WAITING = `('EN_ESPERA', 'PROXIMO')`;
export const ACTIVE = `('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`;

/** Advisors of a branch who serve a queue and are not OFFLINE; `?` binds branch, then queue type. */
export const ADVISORS_ONLINE_COUNT = `(select count(*)::int from advisor o
  where o.branch_office = ? and o.status <> 'OFFLINE' and o.queue_types::jsonb @> to_jsonb(?::text))`;

/** Per-queue average service minutes as a SQL CASE over `queue_type` of the given alias. */
export function averageMinutesCase(alias: string, minutes: Record<string, number>): string {
  const arms = Object.entries(minutes).map(([type, value]) => `when '${type}' then ${value}`);
  return `(case ${alias}.queue_type ${arms.join(' ')} end)`;
}
