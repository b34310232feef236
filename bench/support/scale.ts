import type pg from 'pg';
import { systemClock, type Clock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/sql.js';
import { QUEUES, type QueueType } from '../../src/domain/queue-types.js';
import { EventBus } from '../../src/events.js';
import { createServices, type Services } from '../../src/services.js';
import type { PersonalDataCipher } from '../../src/modules/privacy/cipher.js';

/** The app's domain services on their own pool, pointed at a scratch database. */
export interface BenchServices {
  services: Services;
  db: Db;
  events: EventBus;
  close(): Promise<void>;
}

/** What `npm start` builds (createServices on a createDb pool), minus HTTP and jobs. */
export function openServices(
  url: string,
  config: Config,
  options: { poolMax: number; clock?: Clock; personalData: PersonalDataCipher },
): BenchServices {
  const db = createDb({ url, max: options.poolMax, applicationName: 'ticketero-bench' });
  const events = new EventBus();
  const services = createServices({
    db,
    clock: options.clock ?? systemClock,
    events,
    config,
    links: { start: () => null },
    personalData: options.personalData,
  });
  return { services, db, events, close: () => db.close() };
}

export interface WaitingTickets {
  /** Branches the tickets go to, in turn. */
  branches: readonly string[];
  /** Queues the tickets go to, in turn (after a round of every branch). */
  queueTypes: readonly QueueType[];
  count: number;
  /** The branches' time zone: the tickets' service day is today there. */
  timeZone: string;
  /** RUT body of the first ticket; the others follow (all distinct, with valid check digits). */
  firstRut: number;
  /** The arrivals are spread evenly over this many minutes up to now (default 180). */
  spreadMinutes?: number;
}

const prefixSql = `(case s.queue_type ${Object.entries(QUEUES)
  .map(([type, q]) => `when '${type}' then '${q.prefix}'`)
  .join(' ')} end)`;

/**
 * Inserts `count` waiting tickets in one statement (generate_series), as the kiosk would have
 * left them, except that position and estimate are 0 (so the queue job's first run rewrites every
 * one): EN_ESPERA, numbered per branch, queue and day (C01, C02, …), a distinct RUT each, arrivals
 * spread over the last hours. Every other ticket has a phone and its three `mensaje` rows
 * PENDIENTE, planned at its arrival. The daily counters are set to match. Returns the time taken.
 */
export async function insertWaitingTickets(client: pg.Client, spec: WaitingTickets): Promise<number> {
  const started = performance.now();
  await client.query(
    `with spec as (
       select n,
              ($1::text[])[1 + (n - 1) % cardinality($1::text[])] as branch_office,
              ($2::text[])[1 + ((n - 1) / cardinality($1::text[])) % cardinality($2::text[])] as queue_type,
              1 + (n - 1) / (cardinality($1::text[]) * cardinality($2::text[])) as seq,
              ($4::bigint + n - 1)::text as rut_body,
              (now() at time zone 'UTC') - make_interval(secs => $5::float8 * 60 * (1 - n::float8 / $3)) as created_at
       from generate_series(1, $3::int) n
     ),
     inserted as (
       -- RUT and phone only as blind indexes (a plain SHA-256 here: SQL has not the app's keys, and
       -- nothing in these benches looks a customer up); no ciphertext, as after an erasure.
       insert into ticket (codigo_referencia, numero, national_id_bidx, telefono_bidx, branch_office, queue_type, status,
                           position_in_queue, estimated_wait_minutes, service_date, created_at, updated_at)
       select gen_random_uuid(),
              ${prefixSql} || case when s.seq < 10 then '0' else '' end || s.seq,
              sha256(convert_to(s.rut_body || '-' || case d.rest when 11 then '0' when 10 then 'K' else d.rest::text end, 'UTF8')),
              case when s.n % 2 = 1 then sha256(convert_to('+569' || lpad((s.n % 100000000)::text, 8, '0'), 'UTF8')) end,
              s.branch_office, s.queue_type, 'EN_ESPERA', 0, 0,
              (now() at time zone $6)::date, s.created_at, s.created_at
       from spec s
       cross join lateral (
         -- RUT check digit (module 11, factors 2..7 from the right), as src/domain/rut.ts computes it.
         select 11 - sum(substr(s.rut_body, length(s.rut_body) - i, 1)::int * (2 + i % 6)) % 11 as rest
         from generate_series(0, length(s.rut_body) - 1) i
       ) d
       order by s.n
       returning id, telefono_bidx, created_at
     )
     insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at)
     select i.id, p.plantilla, 'PENDIENTE', i.created_at, i.created_at
     from inserted i
     cross join unnest(array['TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO'])
       with ordinality as p(plantilla, ord)
     where i.telefono_bidx is not null
     order by i.id, p.ord`,
    [spec.branches, spec.queueTypes, spec.count, spec.firstRut, spec.spreadMinutes ?? 180, spec.timeZone],
  );
  await client.query(
    `insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number, updated_at)
     select branch_office, service_date, queue_type, count(*), now() at time zone 'UTC'
     from ticket group by branch_office, service_date, queue_type
     on conflict (branch_office, service_date, queue_type)
       do update set last_number = greatest(ticket_daily_counter.last_number, excluded.last_number)`,
  );
  return performance.now() - started;
}

/** Nearest-rank percentile of a list of samples (`p` from 0 to 100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Runs `work` and returns its result with the milliseconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** `12345` → `12,345`. */
export const count = (value: number): string => value.toLocaleString('en-US');

/** The queues of a bench branch's five advisors: module k serves ADVISOR_QUEUES[k - 1], a mix. */
export const ADVISOR_QUEUES = [
  '["CAJA","PERSONAL_BANKER"]',
  '["CAJA"]',
  '["PERSONAL_BANKER","EMPRESAS"]',
  '["EMPRESAS","GERENCIA"]',
  '["CAJA","PERSONAL_BANKER","GERENCIA"]',
] as const;
