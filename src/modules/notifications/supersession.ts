import type { Queryable } from '../../db/sql.js';
import { AUDIT_COLUMNS } from '../audit/audit.service.js';
import { ARMED, RESOLVED_CHAT_ID } from './chat.sql.js';
import { SUPERSEDABLE, SUPERSEDE_AFTER_MS, SUPERSEDED_REASON, urgencySql } from './urgency.js';

/** ARMED speaks of the message `m`: the same condition for the overtaking message `n`. */
const ARMED_N = ARMED.replace(/\bm\./g, 'n.');

/**
 * Drops, in one statement, every informational message overtaken by a later and more urgent
 * message of its ticket, both due for SUPERSEDE_AFTER_MS and still unsent (a backlog; a retry
 * planned for now is not overtaken) (SPEC §16): FALLIDO with
 * SUPERSEDED_REASON and a MENSAJE_FALLIDO audit row each. Only messages that could go out (a chat
 * is linked) are judged, and rows being sent right now (locked) are skipped.
 * Params: now − SUPERSEDE_AFTER_MS twice, the supersedable templates, now.
 */
const SUPERSEDE_SQL = `with candidates as (
    select m.id, m.ticket_id, m.plantilla, m.intentos, n.plantilla as por
    from mensaje m
    join ticket t on t.id = m.ticket_id
    join lateral (
      select n.plantilla from mensaje n
      where n.ticket_id = m.ticket_id and n.id > m.id and n.estado_envio = 'PENDIENTE'
        and n.fecha_programada <= ?::timestamp and ${urgencySql('n')} < ${urgencySql('m')} and ${ARMED_N}
      order by n.id limit 1
    ) n on true
    where m.estado_envio = 'PENDIENTE' and m.fecha_programada <= ?::timestamp and m.plantilla = any(?::text[]) and ${ARMED}
      and ${RESOLVED_CHAT_ID} is not null
    for update of m skip locked
  ),
  dropped as (
    update mensaje m set estado_envio = 'FALLIDO', error_message = '${SUPERSEDED_REASON}'
    from candidates c where m.id = c.id and m.estado_envio = 'PENDIENTE'
    returning m.id, c.ticket_id, c.plantilla, c.intentos, c.por
  ),
  audited as (
    insert into audit_log (${AUDIT_COLUMNS})
    select 'MENSAJE', d.id::text, 'MENSAJE_FALLIDO', 'SYSTEM', null,
      json_build_object('plantilla', d.plantilla, 'ticketId', d.ticket_id, 'estadoEnvio', 'FALLIDO',
        'intentos', d.intentos, 'error', '${SUPERSEDED_REASON}', 'reemplazadoPor', d.por),
      null, null, null, ?::timestamp
    from dropped d
    returning 1
  )
  select count(*)::int as superseded from audited`;

export async function dropSupersededMessages(db: Queryable, now: Date): Promise<number> {
  const overdue = new Date(now.getTime() - SUPERSEDE_AFTER_MS);
  const [row] = await db.execute<{ superseded: number }[]>(SUPERSEDE_SQL, [
    overdue,
    overdue,
    `{${SUPERSEDABLE.join(',')}}`,
    now,
  ]);
  return row?.superseded ?? 0;
}
