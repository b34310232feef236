import pg from 'pg';
import { fixed } from './format.js';
import { count } from './scale.js';
import {
  dayIndexOf,
  firstLive,
  oldTickets,
  ticketSpecParams,
  ticketSpecSql,
  ticketsOfDays,
  totalTickets,
  type YearShape,
} from './year-shape.js';

/**
 * Loads a year of one busy branch (year-shape.ts) with set-based SQL, on two connections (the
 * machine's two cores): tickets with their messages and visits in chunks of days, their
 * secondary indexes dropped for the load and rebuilt after from the exact definitions the
 * migrations left (read back from the catalogue); then the audit rows month by month, each month
 * loaded into its own table, indexed and attached as the partition `audit_log_yYYYYmMM` — the
 * same indexes the daily job's partitions get from the parent.
 */

type Log = (message: string) => void;

/** Rows done against a total, printed as a line a person can follow during a long load. */
export class Progress {
  private done = 0;
  private readonly started = performance.now();
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly log: Log,
  ) {}

  add(rows: number, what = ''): void {
    this.done += rows;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.done / Math.max(seconds, 0.001);
    const left = rate > 0 ? (this.total - this.done) / rate : Number.NaN;
    this.log(
      `  ${this.label}: ${count(this.done)} / ${count(this.total)} (${fixed((this.done / this.total) * 100, 1)} %)` +
        ` in ${fixed(seconds, 1)} s, ${count(Math.round(rate))} rows/s${left > 0 ? `, ~${fixed(left, 0)} s left` : ''}${what ? ` — ${what}` : ''}`,
    );
  }

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  get rows(): number {
    return this.done;
  }
}

/** Runs tasks on at most `width` at once, in order of start. */
export async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

export function loadPool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC -c maintenance_work_mem=1GB -c work_mem=256MB' });
}

interface SecondaryIndex {
  name: string;
  definition: string;
  /** Set when the index backs a UNIQUE constraint: it is re-added as the constraint. */
  constraint: string | null;
  constraintDefinition: string | null;
}

/** Every index of a table but its primary key (which the foreign keys pointing at it need), as the catalogue has it. */
export async function secondaryIndexes(client: pg.Pool, table: string): Promise<SecondaryIndex[]> {
  const { rows } = await client.query<SecondaryIndex>(
    `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition, k.conname as constraint,
            pg_get_constraintdef(k.oid) as "constraintDefinition"
     from pg_index i join pg_class c on c.oid = i.indexrelid
     left join pg_constraint k on k.conindid = i.indexrelid and k.conrelid = i.indrelid
     where i.indrelid = $1::regclass and not i.indisprimary order by c.relname`,
    [table],
  );
  return rows;
}

async function dropIndexes(pool: pg.Pool, table: string, indexes: readonly SecondaryIndex[]): Promise<void> {
  for (const index of indexes) {
    await pool.query(
      index.constraint ? `alter table "${table}" drop constraint "${index.constraint}"` : `drop index "${index.name}"`,
    );
  }
}

async function rebuildIndexes(pool: pg.Pool, table: string, indexes: readonly SecondaryIndex[], log: Log): Promise<void> {
  await inParallel(indexes, 2, async (index) => {
    const started = performance.now();
    await pool.query(
      index.constraint
        ? `alter table "${table}" add constraint "${index.constraint}" ${index.constraintDefinition}`
        : index.definition,
    );
    log(`  index ${index.name} rebuilt in ${fixed((performance.now() - started) / 1000, 1)} s`);
  });
}

const CHUNK_COLUMNS = `n bigint, d bigint, h1 int, h2 int, created_at timestamp, queue_type text, numero text, status text,
  service_date date, wait_minutes int, service_minutes int, advisor_email text, advisor_id bigint, module_number int,
  assigned_at timestamp, completed_at timestamp, codigo uuid, national_id_enc text, national_id_bidx bytea,
  telefono_enc text, telefono_bidx bytea, masked_rut text, origin_actor text`;

async function loadTicketChunk(pool: pg.Pool, y: YearShape, from: number, to: number, serving: readonly number[]): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`create temporary table year_chunk (${CHUNK_COLUMNS}) on commit drop`);
    await client.query(`insert into year_chunk ${ticketSpecSql}`, ticketSpecParams(y, from, to, serving));
    const tickets = await client.query(
      `insert into ticket (id, codigo_referencia, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx,
         branch_office, queue_type, status, position_in_queue, estimated_wait_minutes, assigned_advisor_id,
         assigned_module_number, assigned_at, completed_at, actual_service_time_minutes, service_date, created_at, updated_at,
         service_started_at, recall_count, last_called_at, queued_at, atencion_preferente, rating, rated_at)
       select n, codigo, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx, $1, queue_type, status,
              0, case when status = 'EN_ESPERA' then 0 else wait_minutes end, advisor_id, module_number, assigned_at, completed_at,
              case when status = 'COMPLETADO' then service_minutes end, service_date, created_at,
              coalesce(completed_at, assigned_at, created_at),
              case when status in ('COMPLETADO', 'ATENDIENDO') then assigned_at end,
              case when assigned_at is null then 0 else 1 end, assigned_at, created_at,
              case when h2 % 50 = 0 then 'TERCERA_EDAD' end,
              case when status = 'COMPLETADO' and h2 % 10 < 3 then 1 + h1 % 5 end,
              case when status = 'COMPLETADO' and h2 % 10 < 3 then completed_at + interval '2 minutes' end
       from year_chunk order by n`,
      [y.branch],
    );
    // As the app keeps them: sent messages for 30 days (last night's run removed older ones, so
    // tonight's removes one more day), failed and pending ones until their ticket goes.
    const messages = await client.query(
      `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, fecha_envio, telegram_message_id, intentos,
         error_message, created_at)
       select c.n, m.plantilla, m.estado, m.programada, m.envio,
              case when m.estado = 'ENVIADO' then (c.n * 3 + m.ord)::text end, m.intentos, m.error, c.created_at
       from year_chunk c
       cross join lateral (values
         (1, 'TOTEM_TICKET_CREADO', 'ENVIADO', c.created_at, c.created_at + interval '2 seconds', 1, null::text),
         (2, 'TOTEM_PROXIMO_TURNO',
          case c.status when 'EN_ESPERA' then 'PENDIENTE' when 'CANCELADO' then 'FALLIDO' else 'ENVIADO' end,
          coalesce(c.assigned_at - interval '4 minutes', c.created_at + make_interval(mins => c.wait_minutes)),
          case when c.status in ('EN_ESPERA', 'CANCELADO') then null else c.assigned_at - interval '4 minutes' end,
          case when c.status in ('EN_ESPERA', 'CANCELADO') then 0 else 1 end,
          case when c.status = 'CANCELADO' then 'ticket cancelado' end),
         (3, 'TOTEM_ES_TU_TURNO',
          case when c.status = 'EN_ESPERA' then 'PENDIENTE' when c.status = 'CANCELADO' or c.h2 % 100 = 7 then 'FALLIDO' else 'ENVIADO' end,
          coalesce(c.assigned_at, c.created_at + make_interval(mins => c.wait_minutes)),
          case when c.status in ('EN_ESPERA', 'CANCELADO') or c.h2 % 100 = 7 then null else c.assigned_at end,
          case when c.status in ('EN_ESPERA', 'CANCELADO') then 0 when c.h2 % 100 = 7 then 3 else 1 end,
          case when c.status = 'CANCELADO' then 'ticket cancelado'
               when c.h2 % 100 = 7 then '403: Forbidden: bot was blocked by the user' end)
       ) m(ord, plantilla, estado, programada, envio, intentos, error)
       where c.n % 2 = 1 and (m.estado <> 'ENVIADO' or m.envio >= $1::timestamp - interval '31 days')
       order by c.n, m.ord`,
      [y.now],
    );
    const visits = await client.query(
      `insert into ticket_visit (ticket_id, branch_office, queue_type, advisor_id, called_at, service_started_at, ended_at,
         outcome, service_minutes, out_of_order)
       select n, $1, queue_type, advisor_id, assigned_at,
              case when status in ('COMPLETADO', 'ATENDIENDO') then assigned_at end,
              case when status <> 'ATENDIENDO' then completed_at end,
              case when status <> 'ATENDIENDO' then status end,
              case when status = 'COMPLETADO' then service_minutes end, false
       from year_chunk where advisor_id is not null order by n`,
      [y.branch],
    );
    await client.query('commit');
    return (tickets.rowCount ?? 0) + (messages.rowCount ?? 0) + (visits.rowCount ?? 0);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const DAYS_PER_CHUNK = 10;

/** Tickets, messages and visits of the year; returns the seconds taken and the rows written. */
export async function loadTickets(
  pool: pg.Pool,
  y: YearShape,
  servingAdvisors: readonly number[],
  log: Log,
): Promise<{ seconds: number; rows: number }> {
  const tables = ['ticket', 'mensaje', 'ticket_visit'] as const;
  const dropped = new Map<string, SecondaryIndex[]>();
  for (const table of tables) dropped.set(table, await secondaryIndexes(pool, table));
  for (const table of tables) await dropIndexes(pool, table, dropped.get(table)!);

  const chunks: Array<[number, number]> = [];
  for (let day = y.oldDays; day < y.oldDays + y.days; day += DAYS_PER_CHUNK) {
    chunks.push(ticketsOfDays(y, day, Math.min(day + DAYS_PER_CHUNK, y.oldDays + y.days) - 1));
  }
  // Tickets plus about 0.2 messages and 0.9 visits each: the progress total is an estimate, the count is exact.
  const progress = new Progress('tickets + messages + visits', Math.round((totalTickets(y) - oldTickets(y)) * 2.1), log);
  await inParallel(chunks, 2, async ([from, to]) => {
    progress.add(await loadTicketChunk(pool, y, from, to, servingAdvisors), `tickets ${count(from - oldTickets(y))}–${count(to - oldTickets(y))}`);
  });
  const loaded = { seconds: progress.seconds, rows: progress.rows };

  const rebuildStarted = performance.now();
  for (const table of tables) await rebuildIndexes(pool, table, dropped.get(table)!, log);
  log(`  secondary indexes of ticket, mensaje, ticket_visit rebuilt in ${fixed((performance.now() - rebuildStarted) / 1000, 1)} s`);
  // The sequences go on after the loaded ids, as if the app had written them.
  await pool.query(`select setval('ticket_id_seq', $1::bigint)`, [totalTickets(y)]);
  // The day's numbering goes on after the loaded numbers (the counters the kiosk path locks).
  await pool.query(
    `insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number, updated_at)
     select branch_office, service_date, queue_type, max(substring(numero from 2)::int), now() at time zone 'UTC'
     from ticket where service_date >= $1::date - 7 group by branch_office, service_date, queue_type
     on conflict (branch_office, service_date, queue_type) do update set last_number = excluded.last_number`,
    [y.today],
  );
  return { seconds: loaded.seconds + (performance.now() - rebuildStarted) / 1000, rows: loaded.rows };
}

export interface AuditMonth {
  name: string;
  start: Date;
  end: Date;
}

const monthStart = (year: number, month: number): Date => new Date(Date.UTC(year, month, 1));
const partitionName = (start: Date): string =>
  `audit_log_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
const sqlTimestamp = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

/** The months from `first` to the month of `now`, each one partition. */
export function auditMonths(first: Date, now: Date): AuditMonth[] {
  const months: AuditMonth[] = [];
  for (let m = first; m.getTime() <= now.getTime(); m = monthStart(m.getUTCFullYear(), m.getUTCMonth() + 1)) {
    months.push({ name: partitionName(m), start: m, end: monthStart(m.getUTCFullYear(), m.getUTCMonth() + 1) });
  }
  return months;
}

/**
 * The audit events of each virtual ticket, as the app writes them: a called customer's
 * TICKET_CREADO, TICKET_ASIGNADO, ADVISOR_ASSIGNED and TICKET_COMPLETADO / TICKET_NO_ATENDIDO; a
 * cancelled one's TICKET_CREADO, TICKET_CANCELADO, MENSAJE_ENVIADO, MENSAJE_FALLIDO (4 a ticket,
 * the seed's 100,000 a day). Params: the ticket spec's, then $13 month start, $14 month end.
 */
const auditSql = (table: string) => `insert into "${table}" (id, entity_type, entity_id, event_type, actor, old_state, new_state,
    additional_data, ip_address, user_agent, created_at)
  select e.id, e.entity_type, e.entity_id, e.event_type, e.actor, e.old_state, e.new_state, e.additional_data, e.ip, e.ua, e.at
  from (${ticketSpecSql}) c
  cross join lateral (values
    (1, 'TICKET', c.n::text, 'TICKET_CREADO', c.origin_actor, null::json,
     json_build_object('numero', c.numero, 'status', 'EN_ESPERA', 'queueType', c.queue_type, 'branchOffice', $3::text,
       'nationalId', c.masked_rut, 'positionInQueue', 1 + c.h2 % 30, 'estimatedWaitMinutes', c.wait_minutes),
     json_build_object('codigoReferencia', c.codigo, 'notificable', c.n % 2 = 1),
     case when c.origin_actor = 'KIOSK' then '10.20.' || (c.h2 % 250) || '.' || (c.h1 % 250) end,
     case when c.origin_actor = 'KIOSK' then 'Totem/2.4 (Linux; kiosk)' end,
     c.created_at),
    (2, 'TICKET', c.n::text,
     case c.status when 'CANCELADO' then 'TICKET_CANCELADO' when 'EN_ESPERA' then null else 'TICKET_ASIGNADO' end,
     case when c.status = 'CANCELADO' then c.origin_actor else 'SYSTEM' end,
     json_build_object('status', 'EN_ESPERA', 'positionInQueue', 1),
     case when c.status = 'CANCELADO' then json_build_object('status', 'CANCELADO')
          else json_build_object('status', 'ATENDIENDO', 'advisorId', c.advisor_id, 'moduleNumber', c.module_number) end,
     json_build_object('numero', c.numero, 'queueType', c.queue_type), null, null,
     coalesce(c.assigned_at, c.completed_at)),
    (3, case when c.status = 'CANCELADO' then 'MENSAJE' else 'ADVISOR' end,
     case when c.status = 'CANCELADO' then (c.n * 3 + 1)::text else c.advisor_id::text end,
     case c.status when 'CANCELADO' then 'MENSAJE_ENVIADO' when 'EN_ESPERA' then null else 'ADVISOR_ASSIGNED' end,
     'SYSTEM',
     case when c.status <> 'CANCELADO' then json_build_object('status', 'AVAILABLE', 'assignedTicketsCount', 0) end,
     case when c.status <> 'CANCELADO' then json_build_object('status', 'BUSY', 'assignedTicketsCount', 1, 'ticketId', c.n) end,
     case when c.status = 'CANCELADO'
          then json_build_object('ticketId', c.n, 'plantilla', 'TOTEM_TICKET_CREADO', 'telegramMessageId', c.n * 3 + 1)
          else json_build_object('numero', c.numero, 'queueType', c.queue_type) end,
     null, null,
     case when c.status = 'CANCELADO' then c.created_at + interval '2 seconds' else c.assigned_at end),
    (4, case when c.status = 'CANCELADO' then 'MENSAJE' else 'TICKET' end,
     case when c.status = 'CANCELADO' then (c.n * 3 + 2)::text else c.n::text end,
     case c.status when 'CANCELADO' then 'MENSAJE_FALLIDO' when 'COMPLETADO' then 'TICKET_COMPLETADO'
                   when 'NO_ATENDIDO' then 'TICKET_NO_ATENDIDO' end,
     case when c.status = 'CANCELADO' then 'SYSTEM' else c.advisor_email end,
     case when c.status <> 'CANCELADO' then json_build_object('status', 'ATENDIENDO') end,
     case when c.status <> 'CANCELADO' then json_build_object('status', c.status, 'actualServiceTimeMinutes',
       case when c.status = 'COMPLETADO' then c.service_minutes end) end,
     case when c.status = 'CANCELADO'
          then json_build_object('ticketId', c.n, 'plantilla', 'TOTEM_PROXIMO_TURNO', 'error', 'ticket cancelado')
          else json_build_object('advisorId', c.advisor_id, 'moduleNumber', c.module_number) end,
     null, null, c.completed_at)
  ) e0(ord, entity_type, entity_id, event_type, actor, old_state, new_state, additional_data, ip, ua, at)
  cross join lateral (select (c.n - 1) * 4 + e0.ord as id, e0.*) e
  where e.event_type is not null and e.at >= $13::timestamp and e.at < $14::timestamp`;

/**
 * The months of audit rows: each one loaded into a table of its own, given the indexes the
 * partitioned parent's would give it (primary key first, so ATTACH adopts them rather than
 * building its own), and attached. The default partition stays; the legacy one (empty on a
 * fresh database) goes, as on a database whose pre-partitioning rows were archived long ago.
 */
export async function loadAudit(
  pool: pg.Pool,
  y: YearShape,
  months: readonly AuditMonth[],
  servingAdvisors: readonly number[],
  log: Log,
): Promise<{ seconds: number; rows: number }> {
  await pool.query(`alter table audit_log detach partition audit_log_legacy`);
  await pool.query(`drop table audit_log_legacy`);
  const progress = new Progress('audit_log', totalTickets(y) * 4, log);
  await inParallel(months, 2, async (month) => {
    const [from] = ticketsOfDays(y, dayIndexOf(y, new Date(month.start.getTime() - 86_400_000)), 0);
    const [, to] = ticketsOfDays(y, 0, dayIndexOf(y, month.end));
    const client = await pool.connect();
    try {
      const t = month.name;
      await client.query(`create table "${t}" (like audit_log including defaults)`);
      const inserted = await client.query(auditSql(t), [
        ...ticketSpecParams(y, from, Math.min(to, totalTickets(y)), servingAdvisors),
        month.start,
        month.end,
      ]);
      await client.query(`alter table "${t}" add constraint "${t}_pkey" primary key (id, created_at)`);
      await client.query(`create index "${t}_entity_type_entity_id_idx" on "${t}" (entity_type, entity_id)`);
      await client.query(`create index "${t}_event_type_idx" on "${t}" (event_type)`);
      await client.query(`create index "${t}_created_at_idx" on "${t}" (created_at desc)`);
      await client.query(`create index "${t}_actor_idx" on "${t}" (actor)`);
      await client.query(
        `alter table audit_log attach partition "${t}" for values from ('${sqlTimestamp(month.start)}') to ('${sqlTimestamp(month.end)}')`,
      );
      progress.add(inserted.rowCount ?? 0, `${t} loaded, indexed and attached`);
    } finally {
      client.release();
    }
  });
  await pool.query(`select setval('audit_log_id_seq', $1::bigint)`, [totalTickets(y) * 4]);
  return { seconds: progress.seconds, rows: progress.rows };
}

/** Partitions whose indexes are not each attached to one of the parent's (there must be none). */
export async function partitionsMissingIndexes(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `with parent as (select count(*) as n from pg_index where indrelid = 'audit_log'::regclass)
     select c.relname as name
     from pg_inherits p join pg_class c on c.oid = p.inhrelid
     where p.inhparent = 'audit_log'::regclass
       and (select count(*) from pg_index i join pg_inherits ii on ii.inhrelid = i.indexrelid
            where i.indrelid = c.oid) <> (select n from parent)
     order by 1`,
  );
  return rows.map((r) => r.name);
}

/** The tickets waiting and being served now, whose RUT and phone the app may show: encrypted for real. */
export async function sealLiveTickets(
  pool: pg.Pool,
  y: YearShape,
  seal: (n: number) => { nationalIdEnc: string; nationalIdBidx: Buffer; telefonoEnc: string | null; telefonoBidx: Buffer | null },
): Promise<number> {
  const ids = Array.from({ length: totalTickets(y) - firstLive(y) + 1 }, (_, i) => firstLive(y) + i);
  const sealed = ids.map(seal);
  await pool.query(
    `update ticket t set national_id_enc = s.rut_enc, national_id_bidx = s.rut_bidx, telefono_enc = s.tel_enc,
       telefono_bidx = s.tel_bidx
     from unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[], $5::bytea[]) s(id, rut_enc, rut_bidx, tel_enc, tel_bidx)
     where t.id = s.id`,
    [
      ids,
      sealed.map((s) => s.nationalIdEnc),
      sealed.map((s) => s.nationalIdBidx),
      sealed.map((s) => s.telefonoEnc),
      sealed.map((s) => s.telefonoBidx),
    ],
  );
  return ids.length;
}
