import { serviceDay } from '../../src/domain/numbering.js';
import { QUEUES } from '../../src/domain/queue-types.js';

/**
 * The shape of a year of one busy branch (seed-schema.md's budget: 25,000 tickets and 100,000
 * audit rows a day, 9 M tickets and 36 M audit rows a year), as set-based SQL over a ticket
 * number `n`. Every column of ticket n is a pure function of n (hashes, no random()), so the
 * ticket, its messages, its visit and its audit rows agree however and in whatever order they
 * are generated.
 *
 * Virtual tickets 1 … oldTickets lie before the year: their tickets were trimmed long ago (90-day
 * rule) but their audit rows are still there, waiting for the yearly archive. Tickets
 * oldTickets + 1 … total are the year, and exist as rows (id = n).
 */
export interface YearShape {
  branch: string;
  timeZone: string;
  /** The end of the year: the bench's now, as UTC. */
  now: Date;
  /** Branch-local date of `now`. */
  today: string;
  perDay: number;
  /** Days of the year (365); the last one is today. */
  days: number;
  /** Days before the year whose audit rows are still kept (back to the start of the month that is over a year old). */
  oldDays: number;
  /** Waiting (EN_ESPERA) now: the last tickets of today. */
  waiting: number;
  /** Being served now: one per advisor, just before the waiting ones. */
  serving: number;
  /** Key id written into the encrypted-shape values (`v1:<key id>:…`). */
  keyId: string;
}

export const oldTickets = (y: YearShape): number => y.oldDays * y.perDay;
export const totalTickets = (y: YearShape): number => (y.oldDays + y.days) * y.perDay;
export const firstLive = (y: YearShape): number => totalTickets(y) - y.waiting - y.serving + 1;

/** Branch-local date string of `days` days before `date` (YYYY-MM-DD). */
export function localDayBefore(today: string, days: number): string {
  const at = new Date(`${today}T12:00:00Z`);
  at.setUTCDate(at.getUTCDate() - days);
  return at.toISOString().slice(0, 10);
}

/** The virtual ticket range whose creation falls on local days [fromDay, toDay] (day 0 = the first old day). */
export const ticketsOfDays = (y: YearShape, fromDay: number, toDay: number): [number, number] => [
  fromDay * y.perDay + 1,
  (toDay + 1) * y.perDay,
];

/** The index (0 = first old day) of the local day holding `instant`, clamped to the loaded days. */
export function dayIndexOf(y: YearShape, instant: Date): number {
  const lastDay = y.oldDays + y.days - 1;
  const day = serviceDay(instant, y.timeZone);
  const diff = Math.round((Date.parse(`${y.today}T12:00:00Z`) - Date.parse(`${day}T12:00:00Z`)) / 86_400_000);
  return Math.min(lastDay, Math.max(0, lastDay - diff));
}

const avgMinutes = `(case q.queue_type ${Object.entries(QUEUES)
  .map(([type, def]) => `when '${type}' then ${def.averageMinutes}`)
  .join(' ')} end)`;
const prefix = `(case q.queue_type ${Object.entries(QUEUES)
  .map(([type, def]) => `when '${type}' then '${def.prefix}'`)
  .join(' ')} end)`;

/** base64url without padding, the cipher's encoding. */
const b64url = (bytes: string): string => `translate(encode(${bytes}, 'base64'), '+/=', '-_')`;
const digest = (text: string): string => `sha256(convert_to(${text}, 'UTF8'))`;

/**
 * Parameters of ticketSpecSql, in order: $1 from n, $2 to n, $3 branch, $4 time zone, $5 now
 * (UTC), $6 today (local date), $7 per day, $8 index of today (oldDays + days - 1), $9 first
 * live n, $10 first waiting n, $11 key id, $12 serving advisors (bigint[], one per serving ticket).
 */
export function ticketSpecParams(y: YearShape, from: number, to: number, servingAdvisors: readonly number[]): unknown[] {
  return [
    from,
    to,
    y.branch,
    y.timeZone,
    y.now,
    y.today,
    y.perDay,
    y.oldDays + y.days - 1,
    firstLive(y),
    firstLive(y) + y.serving,
    y.keyId,
    servingAdvisors,
  ];
}

/**
 * `with … select` of every column of virtual tickets $1…$2. The queue mix is 60 % CAJA, 25 %
 * PERSONAL_BANKER, 10 % EMPRESAS, 5 % GERENCIA; finished tickets 85 % COMPLETADO, 8 % CANCELADO,
 * 7 % NO_ATENDIDO; open 08:00–20:00 local (today up to now); half the customers with a phone;
 * about 3 M distinct customers coming back over the year.
 */
export const ticketSpecSql = `with adv as (
    select q.queue_type, array_agg(a.id order by a.id) as ids, array_agg(a.module_number order by a.id) as modules,
           array_agg(a.email order by a.id) as emails
    from unnest(array['CAJA', 'PERSONAL_BANKER', 'EMPRESAS', 'GERENCIA']) q(queue_type)
    join advisor a on a.branch_office = $3 and a.queue_types::jsonb @> to_jsonb(q.queue_type)
    group by q.queue_type
  ),
  serving as (
    select a.id, a.module_number, a.email, s.ord
    from unnest($12::bigint[]) with ordinality s(id, ord) join advisor a on a.id = s.id
  ),
  base as (
    select n, (n - 1) / $7::int as d, ((n - 1) % $7::int)::int as k,
           hashint8(n) & 2147483647 as h1, hashint8(n # 6148914691236517205) & 2147483647 as h2
    from generate_series($1::bigint, $2::bigint) n
  ),
  dayed as (
    select b.*, ($6::date + (b.d - $8::int)::int) as local_date
    from base b
  ),
  windowed as (
    select w.*, least(w.close_at - interval '1 hour', w.open_at) as start_at
    from (
      select d.*,
             ((d.local_date + time '08:00') at time zone $4) at time zone 'UTC' as open_at,
             least(((d.local_date + time '20:00') at time zone $4) at time zone 'UTC', $5::timestamp) as close_at
      from dayed d
    ) w
  ),
  q as (
    select w.n, w.d, w.h1, w.h2, w.local_date,
           w.start_at + (w.close_at - w.start_at) * ((w.k + 0.5) / $7::float8) as created_at,
           case when w.k % 20 < 12 then 'CAJA' when w.k % 20 < 17 then 'PERSONAL_BANKER'
                when w.k % 20 < 19 then 'EMPRESAS' else 'GERENCIA' end as queue_type,
           case when w.k % 20 < 12 then (w.k / 20) * 12 + w.k % 20 + 1
                when w.k % 20 < 17 then (w.k / 20) * 5 + w.k % 20 - 11
                when w.k % 20 < 19 then (w.k / 20) * 2 + w.k % 20 - 16
                else w.k / 20 + 1 end as seq,
           case when w.n >= $10::bigint then 'EN_ESPERA' when w.n >= $9::bigint then 'ATENDIENDO'
                when w.h1 % 100 < 8 then 'CANCELADO' when w.h1 % 100 < 15 then 'NO_ATENDIDO' else 'COMPLETADO' end as status
    from windowed w
  ),
  timed as (
    select q.*, ${prefix} || case when q.seq < 10 then '0' else '' end || q.seq as numero,
           (2 + q.h2 % 40)::int as wait_minutes,
           greatest(1, round(${avgMinutes} * (0.5 + (q.h1 / 100 % 100) / 100.0)))::int as service_minutes,
           case when q.status = 'ATENDIENDO' then sv.id else a.ids[1 + (q.h2 / 64) % cardinality(a.ids)] end as advisor_id,
           case when q.status = 'ATENDIENDO' then sv.module_number else a.modules[1 + (q.h2 / 64) % cardinality(a.ids)] end as module_number,
           case when q.status = 'ATENDIENDO' then sv.email else a.emails[1 + (q.h2 / 64) % cardinality(a.ids)] end as advisor_email
    from q
    join adv a on a.queue_type = q.queue_type
    left join serving sv on sv.ord = q.n - $9::bigint + 1
  )
  select t.n, t.d, t.h1, t.h2, t.created_at, t.queue_type, t.numero, t.status, t.local_date as service_date,
         t.wait_minutes, t.service_minutes, t.advisor_email,
         case when t.status in ('ATENDIENDO', 'COMPLETADO', 'NO_ATENDIDO') then t.advisor_id end as advisor_id,
         case when t.status in ('ATENDIENDO', 'COMPLETADO', 'NO_ATENDIDO') then t.module_number end as module_number,
         -- Those being served were called a few minutes ago (never before they arrived).
         case when t.status = 'ATENDIENDO' then greatest(t.created_at, $5::timestamp - make_interval(mins => 1 + t.h2 % 8))
              when t.status in ('COMPLETADO', 'NO_ATENDIDO') then t.created_at + make_interval(mins => t.wait_minutes) end as assigned_at,
         case t.status when 'COMPLETADO' then t.created_at + make_interval(mins => t.wait_minutes + t.service_minutes)
                       when 'NO_ATENDIDO' then t.created_at + make_interval(mins => t.wait_minutes + 3)
                       when 'CANCELADO' then t.created_at + make_interval(mins => 1 + (t.h2 % 30)::int) end as completed_at,
         md5('codigo:' || t.n)::uuid as codigo,
         -- The stored shapes of SPEC §14: AES-GCM envelopes of a 10-character RUT / 12-character
         -- phone (nonce ‖ ciphertext ‖ tag, base64url) and 32-byte HMAC blind indexes.
         'v1:' || $11 || ':' || ${b64url(`${digest(`'rut-enc:' || t.n`)} || substring(${digest(`'rut-enc2:' || t.n`)} from 1 for 6)`)} as national_id_enc,
         case when t.status in ('EN_ESPERA', 'ATENDIENDO') then ${digest(`'live:' || t.n`)}
              else ${digest(`'rut:' || (t.h1 % 3000000)`)} end as national_id_bidx,
         case when t.n % 2 = 1 then 'v1:' || $11 || ':' || ${b64url(`${digest(`'tel-enc:' || t.n`)} || substring(${digest(`'tel-enc2:' || t.n`)} from 1 for 8)`)} end as telefono_enc,
         case when t.n % 2 = 1 then ${digest(`'tel:' || (t.h2 % 3000000)`)} end as telefono_bidx,
         (10 + t.h1 % 89)::text || '.***.***-' || (t.h1 % 10)::text as masked_rut,
         case when t.h2 % 10 < 7 then 'KIOSK' else 'telegram:' || (100000000 + t.h1 % 900000000) end as origin_actor
  from timed t`;
