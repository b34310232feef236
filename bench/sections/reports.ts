/**
 * Reports at a bank's size (SPEC §20), on a scratch database: 1,000 branches with a year of daily
 * rollups (report_daily_rollup, 365,000 rows with their wait histograms: what the day/week/month
 * and national reports read) and, for the measured branch, a year of 30-minute rows too. Then:
 * a branch's year (groupBy day, month and hour) p99 < 500 ms, a national month p99 < 1 s, a busy
 * day (100 tickets in each of the 1,000 branches) rolled up in < 5 s, and the peak memory of the
 * year's every-branch-by-day CSV export (365,000 rows). Through the ReportService and
 * RollupService the HTTP routes call (no HTTP in the timings).
 */
import type { Section } from '../support/context.js';
import { fixed, ms } from '../support/format.js';
import { withClient } from '../support/postgres.js';
import { openServices, percentile, timed } from '../support/scale.js';
import { csvStream, GROUP_COLUMNS } from '../../src/modules/reports/report-export.js';

const BRANCHES = 1000;
const YEAR_FROM = '2026-01-01';
const YEAR_TO = '2026-12-31';
const BUSY_DAY = '2027-01-15';
const TICKETS_PER_BRANCH = 100;
const BRANCH_RUNS = 50;
const NATIONAL_RUNS = 20;
const MAX_BRANCH_P99_MS = 500;
const MAX_NATIONAL_P99_MS = 1000;
const MAX_ROLLUP_MS = 5000;

/** A plausible histogram per row: waits spread over the first 40 minutes, a few beyond. */
const HIST = `(select array_agg(case when i <= 40 then ((i * 7 + extract(doy from d)::int + b.id::int) % 5) when i = 122 then 1 else 0 end order by i) from generate_series(1, 122) i)`;

export const reportsBench: Section = {
  id: 'reports',
  title: 'reports: a year of 1,000 branches of rollups (branch year, national month, a busy day rolled up, the year’s CSV)',
  async run(context) {
    const database = await context.scratchDatabase('reports');
    const { services, close } = openServices(database.url, context.config, { poolMax: 4, personalData: context.app.personalData });
    try {
      const load = await timed(() =>
        withClient(database.url, async (client) => {
          await client.query(
            `insert into branch (code, name, region, timezone)
             select 'RB' || lpad(g::text, 4, '0'), 'Sucursal Informe ' || g, 'Región ' || (g % 16 + 1), 'America/Santiago'
             from generate_series(1, ${BRANCHES}) g`,
          );
          await client.query(
            `insert into report_daily_rollup (branch_id, service_date, arrived, served, no_shows, cancelled, walkouts, transferred, called,
               called_within_sla, wait_sum_seconds, wait_hist, service_count, service_sum_seconds, service_sum_sq_seconds, rating_count,
               rating_sum, available_seconds, calling_seconds, serving_seconds, paused_seconds, updated_at)
             select b.id, d::date, 100, 85, 5, 4, 3, 2, 92, 70, 92 * 600, ${HIST}, 85, 85 * 540, 85 * 540.0 * 540, 40, 170,
               4 * 3600, 3600, 12 * 3600, 2 * 3600, now()
             from branch b cross join generate_series('${YEAR_FROM}'::date, '${YEAR_TO}'::date, interval '1 day') d
             where b.code like 'RB%'`,
          );
          // The measured branch's 30-minute rows (2 queues × 20 periods a day) for the hour grouping.
          await client.query(
            `insert into report_rollup (branch_id, service_date, queue_type, period, arrived, served, called, called_within_sla,
               wait_sum_seconds, wait_hist, service_count, service_sum_seconds, updated_at)
             select b.id, d::date, q, p, 3, 2, 3, 2, 1500, ${HIST}, 2, 1000, now()
             from branch b cross join generate_series('${YEAR_FROM}'::date, '${YEAR_TO}'::date, interval '1 day') d
               cross join unnest(array['CAJA', 'PERSONAL_BANKER']) q cross join generate_series(18, 37) p
             where b.code = 'RB0001'`,
          );
          await client.query('analyze report_daily_rollup');
          await client.query('analyze report_rollup');
        }),
      );
      context.log(`  loaded ${BRANCHES} branches × 365 daily rollups in ${fixed(load.ms / 1000, 1)} s`);

      const branchTimes = async (groupBy: string): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < BRANCH_RUNS; i++) {
          const code = groupBy === 'hour' ? 'RB0001' : `RB${String((i * 37) % BRANCHES + 1).padStart(4, '0')}`;
          times.push((await timed(() => services.reports.branchReport({ branch: code, from: YEAR_FROM, to: YEAR_TO, groupBy }))).ms);
        }
        return times;
      };
      const byDay = await branchTimes('day');
      context.log(`  branch year by day: p99 ${ms(percentile(byDay, 99))}`);
      const byMonth = await branchTimes('month');
      const byHour = await branchTimes('hour');
      context.log(`  branch year by month and hour: p99 ${ms(percentile(byMonth, 99))}, ${ms(percentile(byHour, 99))}`);
      const national: number[] = [];
      for (let i = 0; i < NATIONAL_RUNS; i++) {
        const month = String((i % 12) + 1).padStart(2, '0');
        const last = new Date(Date.UTC(2026, i % 12 + 1, 0)).toISOString().slice(0, 10);
        const metric = (['wait_p90', 'service_level', 'no_show'] as const)[i % 3];
        national.push((await timed(() => services.reports.national({ from: `2026-${month}-01`, to: last, metric }))).ms);
      }

      context.log(`  national month: p99 ${ms(percentile(national, 99))}`);
      // A busy day: 100 tickets in each branch (served, no-shows, cancelled), then the day rolled up for all of them.
      await withClient(database.url, async (client) => {
        await client.query(
          `insert into ticket (codigo_referencia, numero, branch_office, queue_type, status, position_in_queue, estimated_wait_minutes,
             assigned_at, completed_at, service_started_at, rating, service_date, created_at, updated_at)
           select gen_random_uuid(), 'C' || lpad(n::text, 3, '0'), b.name, case when n % 3 = 0 then 'PERSONAL_BANKER' else 'CAJA' end,
             case when n % 10 = 0 then 'NO_ATENDIDO' when n % 13 = 0 then 'CANCELADO' else 'COMPLETADO' end, 0, 0,
             t0 + ((n * 7) % 50) * interval '1 minute', t0 + ((n * 7) % 50 + 12) * interval '1 minute',
             t0 + ((n * 7) % 50 + 1) * interval '1 minute', case when n % 4 = 0 then n % 5 + 1 end, '${BUSY_DAY}'::date, t0, t0
           from branch b cross join generate_series(1, ${TICKETS_PER_BRANCH}) n
             cross join lateral (select ('${BUSY_DAY} 12:00'::timestamp + n * interval '5 minutes') as t0) x
           where b.code like 'RB%'`,
        );
        await client.query(`update ticket set completed_at = null, service_started_at = null, rating = null where status <> 'COMPLETADO' and service_date = '${BUSY_DAY}'`);
        await client.query(`update ticket set assigned_at = null where status = 'CANCELADO' and service_date = '${BUSY_DAY}'`);
        await client.query('analyze ticket');
      });
      context.log('  busy day inserted');
      const rollup = await timed(() => services.rollups.recomputeDay(BUSY_DAY));
      context.log(`  busy day: ${rollup.result.rows} period rows, ${rollup.result.branches} branches`);

      // The year's every-branch-by-day CSV, drained as fast as it comes; peak memory sampled meanwhile.
      global.gc?.();
      const base = process.memoryUsage();
      let peakHeap = base.heapUsed;
      let peakRss = base.rss;
      let bytes = 0;
      let lines = 0;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      }, 20);
      const columns = [{ key: 'date', header: 'día' }, { key: 'code', header: 'código' }, { key: 'name', header: 'sucursal' }, { key: 'region', header: 'región' }, ...GROUP_COLUMNS.filter((c) => c.key !== 'key')];
      const exported = await timed(async () => {
        const reader = csvStream(columns, services.reports.nationalDays({ from: YEAR_FROM, to: YEAR_TO })).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          for (const byte of value) if (byte === 10) lines++;
        }
      });
      clearInterval(sampler);
      const mb = (v: number): string => `${fixed(v / 1024 / 1024, 0)} MB`;

      const p99 = (t: number[]): number => percentile(t, 99);
      return [
        { metric: `branch year by day (365 groups), p99 of ${BRANCH_RUNS}`, value: ms(p99(byDay)), target: `< ${MAX_BRANCH_P99_MS} ms`, met: p99(byDay) < MAX_BRANCH_P99_MS },
        { metric: `branch year by month, p99 of ${BRANCH_RUNS}`, value: ms(p99(byMonth)), target: `< ${MAX_BRANCH_P99_MS} ms`, met: p99(byMonth) < MAX_BRANCH_P99_MS },
        { metric: `branch year by hour (30-minute rows), p99 of ${BRANCH_RUNS}`, value: ms(p99(byHour)), target: `< ${MAX_BRANCH_P99_MS} ms`, met: p99(byHour) < MAX_BRANCH_P99_MS },
        { metric: `national month (1,000 branches, funnel limits), p99 of ${NATIONAL_RUNS}`, value: ms(p99(national)), target: `< ${MAX_NATIONAL_P99_MS} ms`, met: p99(national) < MAX_NATIONAL_P99_MS },
        { metric: `busy day rolled up (${BRANCHES} branches × ${TICKETS_PER_BRANCH} tickets)`, value: ms(rollup.ms), target: `< ${MAX_ROLLUP_MS} ms`, met: rollup.ms < MAX_ROLLUP_MS },
        { metric: `year's every-branch-by-day CSV (${lines - 1} rows, ${mb(bytes)}) in ${fixed(exported.ms / 1000, 1)} s: peak heap above start`, value: mb(peakHeap - base.heapUsed) },
        { metric: 'same export: peak RSS above start', value: mb(peakRss - base.rss) },
      ];
    } finally {
      await close();
    }
  },
};
