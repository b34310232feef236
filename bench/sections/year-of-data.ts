/**
 * A year of one busy branch (SPEC §16, issue 9): seed-schema.md's budget of 25,000 tickets and
 * 100,000 audit rows a day — 9 M tickets and 36 M audit rows a year — loaded on a scratch
 * database; then the daily maintenance as the app runs it at midnight (the 90-day trim of ~6.7 M
 * tickets, the 30-day message cleanup, the yearly archive by detaching a partition), timed step
 * by step; the same archive done the seed's way on an unpartitioned copy ("before"); and every
 * hot path at that size, before and after the night's run. BENCH_YEAR_SCALE (default 1) shrinks
 * it for a quick run.
 */
import type pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/sql.js';
import { serviceDay } from '../../src/domain/numbering.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { AuditPartitions } from '../../src/modules/audit/audit-partitions.js';
import { MaintenanceService, type DailyStep } from '../../src/modules/maintenance/maintenance.service.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { sealTicketPersonalData } from '../../src/modules/privacy/sealed.js';
import type { Row, Section } from '../support/context.js';
import { fixed, ms } from '../support/format.js';
import { count } from '../support/scale.js';
import { rutBlock, rutFor } from '../support/workload.js';
import { measureHotPaths } from '../support/year-hot-paths.js';
import { auditMonths, loadAudit, loadPool, loadTickets, partitionsMissingIndexes, sealLiveTickets } from '../support/year-load.js';
import { firstLive, oldTickets, totalTickets, type YearShape } from '../support/year-shape.js';
import { measureSeedArchive, prepareSeedArchive } from '../support/year-seed-archive.js';
import { benchKey } from '../support/keys.js';

const YEAR_TICKETS = 9_000_000;
const DAYS = 365;
const WAITING = 500;
const KEY_ID = 'bench';
/** A busy hour of the busy branch: about 8 times its average arrival rate (25,000 over 12 hours ≈ 0.6/s). */
const TAKE_TICKET_RATE = 5;
/** Longer than the estimator's 60-second statistics cache, so one refresh of them falls inside the run. */
const TAKE_TICKET_SECONDS = 65;
/** The night's run must fit in the night. */
const MAX_MAINTENANCE_MS = 60 * 60 * 1000;

const STEP_LABELS: Record<DailyStep, string> = {
  'advisor-figures': "advisors' daily figures",
  'old-tickets': 'finished tickets older than 90 days deleted',
  'sent-messages': 'sent messages older than 30 days deleted',
  'counters-and-codes': 'old day counters and link codes deleted',
  'audit-archive': 'audit archive (months ahead; the month over a year old detached, copied, dropped)',
  'report-rollups': 'report rollups older than 3 years deleted',
};

/** The month whose whole is over a year old at `now`: the one tonight's archive moves. */
function archivedMonth(now: Date): Date {
  const yearAgo = new Date(now);
  yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
  return new Date(Date.UTC(yearAgo.getUTCFullYear(), yearAgo.getUTCMonth() - 1, 1));
}

async function databaseSize(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ size: string }>(`select pg_size_pretty(pg_database_size(current_database())) as size`);
  return rows[0]?.size ?? '?';
}

async function tableSizes(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ name: string; size: string }>(
    `select t.name, pg_size_pretty(sum(pg_total_relation_size(c.oid))) as size
     from (values ('ticket'), ('mensaje'), ('ticket_visit'), ('audit_log')) t(name)
     join pg_class c on c.oid = t.name::regclass
       or c.oid in (select inhrelid from pg_inherits where inhparent = t.name::regclass)
     group by t.name order by t.name`,
  );
  return rows.map((r) => `${r.name} ${r.size}`).join(', ');
}

/** Faster bulk load on the bench's own embedded server only: fewer checkpoints. Never on someone's DATABASE_URL. */
async function bulkLoadSettings(pool: pg.Pool, on: boolean): Promise<void> {
  if (process.env.DATABASE_URL) return;
  await pool.query(on ? `alter system set max_wal_size = '8GB'` : `alter system reset max_wal_size`);
  await pool.query(on ? `alter system set checkpoint_timeout = '30min'` : `alter system reset checkpoint_timeout`);
  await pool.query(`select pg_reload_conf()`);
}

export const yearOfData: Section = {
  id: 'year',
  title: 'a year of one busy branch',
  async run(context) {
    const { yearScale: scale } = context.settings;
    const log = context.log;
    const database = await context.scratchDatabase('year');
    const pool = loadPool(database.url);
    const db = createDb({ url: database.url, max: 4, applicationName: 'ticketero-bench-maintenance' });
    const logger = createLogger('silent');
    let app: RunningApp | null = null;
    const rows: Row[] = [];
    try {
      const now = new Date();
      const timeZone = context.config.branchTimeZone;
      const branch = context.branches[0]!;
      const archiveStart = archivedMonth(now);
      const today = serviceDay(now, timeZone);
      const firstYearDay = new Date(`${today}T12:00:00Z`);
      firstYearDay.setUTCDate(firstYearDay.getUTCDate() - (DAYS - 1));
      const firstOldDay = new Date(`${serviceDay(archiveStart, timeZone)}T12:00:00Z`);
      // The local day of the month's first UTC instant may be the day before: start on the 1st itself.
      if (firstOldDay.getUTCDate() !== 1) firstOldDay.setUTCDate(firstOldDay.getUTCDate() + 1);
      const perDay = Math.round((YEAR_TICKETS * scale) / DAYS);
      const y: YearShape = {
        branch,
        timeZone,
        now,
        today,
        perDay,
        days: DAYS,
        oldDays: Math.round((firstYearDay.getTime() - firstOldDay.getTime()) / 86_400_000),
        waiting: Math.min(WAITING, Math.floor(perDay / 10)),
        serving: 5,
        keyId: KEY_ID,
      };
      const { rows: advisorRows } = await pool.query<{ id: string }>(
        `select id from advisor where branch_office = $1 order by id`,
        [branch],
      );
      const advisors = advisorRows.map((r) => Number(r.id));
      if (advisors.length !== y.serving) throw new Error(`${branch} has ${advisors.length} advisors, expected ${y.serving}`);
      const yearTickets = totalTickets(y) - oldTickets(y);
      const tag = `scale ${scale}`;
      log(
        `${tag}: ${count(yearTickets)} tickets over ${DAYS} days (${count(perDay)} a day) in ${branch}, ` +
          `${y.waiting} waiting and ${y.serving} being served now; audit rows from ${archiveStart.toISOString().slice(0, 10)} ` +
          `(the month over a year old, which tonight's archive moves) to now, 4 per ticket`,
      );

      await bulkLoadSettings(pool, true);
      const loadStarted = performance.now();
      const tickets = await loadTickets(pool, y, advisors, log);
      log(`${tag}: tickets, messages and visits: ${count(tickets.rows)} rows in ${fixed(tickets.seconds, 1)} s`);
      const months = auditMonths(archiveStart, now);
      const audit = await loadAudit(pool, y, months, advisors, log);
      log(`${tag}: audit_log: ${count(audit.rows)} rows in ${months.length} monthly partitions in ${fixed(audit.seconds, 1)} s`);
      const missing = await partitionsMissingIndexes(pool);
      if (missing.length > 0) throw new Error(`partitions without the parent's indexes: ${missing.join(', ')}`);
      await new AuditPartitions({ db, clock: systemClock, logger }).ensureAhead();
      // Serving customers keep their advisors BUSY: the queue job recalculates the line and assigns nobody.
      await pool.query(
        `update advisor a set status = 'BUSY', assigned_tickets_count = 1, last_assigned_at = t.assigned_at
         from ticket t where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'`,
      );
      const vacuumStarted = performance.now();
      await pool.query('vacuum (analyze) ticket, mensaje, ticket_visit, audit_log, advisor, ticket_daily_counter');
      const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
      await bulkLoadSettings(pool, false);
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const { rows: counted } = await pool.query<{ tickets: number; mensajes: number; visits: number; audits: number }>(
        `select (select count(*)::int from ticket) as tickets, (select count(*)::int from mensaje) as mensajes,
                (select count(*)::int from ticket_visit) as visits, (select count(*)::int from audit_log) as audits`,
      );
      const c = counted[0]!;
      log(
        `${tag}: loaded ${count(c.tickets)} tickets, ${count(c.mensajes)} messages, ${count(c.visits)} visits, ` +
          `${count(c.audits)} audit rows in ${fixed(loadSeconds, 0)} s (vacuum analyze ${fixed(vacuumSeconds, 0)} s); ` +
          `database ${await databaseSize(pool)} (${await tableSizes(pool)})`,
      );
      rows.push(
        {
          metric: `${tag}: load tickets + messages + visits (${count(c.tickets)} + ${count(c.mensajes)} + ${count(c.visits)}), indexes included`,
          value: `${fixed(tickets.seconds, 0)} s, ${count(Math.round(tickets.rows / tickets.seconds))} rows/s`,
        },
        {
          metric: `${tag}: load audit_log (${count(c.audits)} rows, ${months.length} monthly partitions), indexes included`,
          value: `${fixed(audit.seconds, 0)} s, ${count(Math.round(audit.rows / audit.seconds))} rows/s`,
        },
        { metric: `${tag}: whole load with vacuum analyze; database size`, value: `${fixed(loadSeconds / 60, 1)} min; ${await databaseSize(pool)}` },
      );

      // "Before": the seed's archive on an unpartitioned audit_log, prepared now (the month still exists).
      const seed = await prepareSeedArchive(pool, months[0]!, months[1]!, log);

      const adminKey = benchKey('admin');
      const keys = generateKeyEnv(KEY_ID);
      const config = loadConfig({
        ...keys,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        KIOSK_API_KEY: context.kioskApiKey,
        ADMIN_API_KEY: adminKey,
        DATABASE_URL: database.url,
        DATABASE_POOL_MAX: '10',
        MIGRATE_ON_START: 'false',
      });
      // No Bree jobs: the queue job and the daily run are called below and timed (the same bodies the workers run).
      app = await startApp(config, { logger: createLogger('silent'), jobs: false });
      const cipher = app.personalData;
      await sealLiveTickets(pool, y, (n) =>
        sealTicketPersonalData(cipher, rutFor(rutBlock(8) + n % 1_000_000), n % 2 === 1 ? `+569${String(n % 100_000_000).padStart(8, '0')}` : null),
      );

      const yearIds = { from: oldTickets(y) + 1, to: firstLive(y) - 1 };
      let pick = 0;
      const hotPaths = (label: string, rut: number) =>
        measureHotPaths(
          {
            tag: `${tag}, ${label}`,
            app: app!,
            adminKey,
            kioskKey: context.kioskApiKey,
            branch,
            ticketIds: () => yearIds.from + ((pick++ * 7_919_000_003) % (yearIds.to - yearIds.from)),
            advisorIds: advisors,
            firstRut: rut,
            rate: TAKE_TICKET_RATE,
            connections: context.settings.steadyConnections,
            seconds: TAKE_TICKET_SECONDS,
            log,
          },
          pool,
        );
      log(`${tag}: hot paths before the night's run (${count(c.tickets)} tickets, ${count(c.audits)} audit rows)`);
      rows.push(...(await hotPaths(`${count(c.tickets)} tickets`, rutBlock(0))));

      const steps: Array<{ step: DailyStep; ms: number; rows: number }> = [];
      const maintenance = new MaintenanceService({
        db,
        clock: systemClock,
        logger,
        onStep: (step, took, n) => {
          steps.push({ step, ms: took, rows: n });
          log(`  maintenance: ${STEP_LABELS[step]}: ${count(n)} rows in ${ms(took)}`);
        },
      });
      log(`${tag}: the daily maintenance, as the job runs it at midnight`);
      const started = performance.now();
      const summary = await maintenance.runDaily();
      const total = performance.now() - started;
      for (const s of steps) rows.push({ metric: `${tag}: maintenance — ${STEP_LABELS[s.step]}`, value: `${ms(s.ms)} (${count(s.rows)} rows)` });
      log(`  maintenance summary: ${JSON.stringify(summary)}`);
      rows.push({
        metric: `${tag}: maintenance — whole daily run`,
        value: ms(total),
        target: '< 1 h',
        met: total < MAX_MAINTENANCE_MS,
      });

      const archive = steps.find((s) => s.step === 'audit-archive');
      const before = await measureSeedArchive(pool, seed, log);
      const after = archive?.ms ?? Number.NaN;
      rows.push(
        {
          metric: `${tag}: yearly archive BEFORE partitioning — the seed's INSERT … SELECT + DELETE on an unpartitioned copy (subset: that month + the next, ${count(seed.rows)} rows)`,
          value: `${ms(before.archiveMs)} (${count(before.moved)} rows) + vacuum ${ms(before.vacuumMs)}`,
        },
        {
          metric: `${tag}: yearly archive AFTER partitioning — the daily step (detach, copy, drop)`,
          value: `${ms(after)} (${count(archive?.rows ?? 0)} rows), no vacuum needed`,
        },
        {
          metric: `${tag}: yearly archive before ÷ after (alone; with the vacuum the DELETE owes)`,
          value: `${fixed(before.archiveMs / after, 2)}×; ${fixed((before.archiveMs + before.vacuumMs) / after, 2)}×`,
        },
      );

      const { rows: left } = await pool.query<{ tickets: number; audits: number }>(
        `select (select count(*)::int from ticket) as tickets, (select count(*)::int from audit_log) as audits`,
      );
      const l = left[0]!;
      log(`${tag}: hot paths after the night's run (${count(l.tickets)} tickets, ${count(l.audits)} audit rows); database ${await databaseSize(pool)}`);
      rows.push(...(await hotPaths(`${count(l.tickets)} tickets (trimmed)`, rutBlock(1))));
      rows.push({ metric: `${tag}: database size at the end`, value: await databaseSize(pool) });
      return rows;
    } finally {
      await app?.stop().catch(() => undefined);
      await db.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      // Now, not at the end of the bench: tens of gigabytes.
      await database.drop();
    }
  },
};
