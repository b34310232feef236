/*
 * SPEC §20's truth test: a known day's tickets (inserted by hand in two branches of different
 * zones) against every figure of every report, each computed here straight from those tickets —
 * not through the rollup SQL. Percentiles over two branches are the percentile of their pooled
 * waits; a day past the ticket retention answers the same after the maintenance deleted its tickets.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MaintenanceService } from '../../src/modules/maintenance/maintenance.service.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, type SignedIn } from '../support/accounts.js';
import {
  buildKnownDay, localInstant, localPeriod, percentile, serviceSeconds, stateSeconds, waitSeconds,
  type KnownBranch, type KnownDay, type KnownPeriod, type KnownTicket,
} from '../support/report-day.js';

const DATE = '2026-11-18'; // a Wednesday
const clock = new ManualClock(new Date('2026-11-19T15:00:00Z'));
let app: TestApp;
let day: KnownDay;
let supervisor: SignedIn;

const admin = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const response = await app.request(path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  day = await buildKnownDay(app.db, {
    date: DATE,
    seed: 2023,
    perBranch: 120,
    branches: [
      { name: 'Sucursal Verdad Norte', timeZone: 'America/Santiago', offsetMinutes: -180 },
      { name: 'Sucursal Verdad Isla', timeZone: 'Pacific/Easter', offsetMinutes: -300 },
    ],
  });
  await app.services.rollups.recomputeDay(DATE);
  supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: [day.branches[0]!.name] }, () => clock.now());
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const round2 = (v: number): number => Math.round(v * 100) / 100;
const share = (a: number, b: number): number | null => (b > 0 ? round2((100 * a) / b) : null);

/** Every figure of a report group, straight from tickets and advisor seconds. */
function expected(
  key: string,
  tickets: KnownTicket[],
  seconds: Record<string, number> | null,
  arrivedIn: (t: KnownTicket) => boolean = () => true,
  servedIn: (t: KnownTicket) => boolean = () => true,
): Record<string, unknown> {
  const arrivals = tickets.filter(arrivedIn);
  const served = tickets.filter((t) => t.status === 'COMPLETADO' && servedIn(t));
  const waits = arrivals.map(waitSeconds).filter((w): w is number => w !== null);
  const services = served.map((t) => serviceSeconds(t)!);
  const rated = served.filter((t) => t.rating !== null);
  const noShows = arrivals.filter((t) => t.status === 'NO_ATENDIDO' && t.assignedAt).length;
  const left = arrivals.filter((t) => t.status === 'CANCELADO' || (t.status === 'NO_ATENDIDO' && !t.assignedAt)).length;
  const logged = seconds ? seconds.AVAILABLE! + seconds.CALLING! + seconds.SERVING! + seconds.PAUSED! : 0;
  return {
    key,
    arrived: arrivals.length,
    served: served.length,
    servedPct: share(served.length, arrivals.length),
    noShowPct: share(noShows, arrivals.length),
    abandonmentPct: share(left, arrivals.length),
    waitMean: waits.length ? round2(waits.reduce((a, b) => a + b, 0) / waits.length / 60) : null,
    waitP50: percentile(waits, 0.5),
    waitP90: percentile(waits, 0.9),
    serviceLevelPct: share(waits.filter((w) => w <= 15 * 60).length, waits.length),
    serviceMean: services.length ? round2(services.reduce((a, b) => a + b, 0) / services.length / 60) : null,
    perAdvisorHour: seconds ? (logged > 0 ? round2(served.length / (logged / 3600)) : null) : null,
    utilisationPct: seconds ? share(seconds.SERVING!, seconds.SERVING! + seconds.AVAILABLE!) : null,
    ratingMean: rated.length ? round2(rated.reduce((a, t) => a + t.rating!, 0) / rated.length) : null,
  };
}

function sumSeconds(periods: KnownPeriod[], from: Date, to: Date): Record<string, number> {
  return stateSeconds(periods, from, to);
}
const ticketsOf = (b: KnownBranch): KnownTicket[] => day.tickets.filter((t) => t.branch === b.name);
const periodsOf = (b: KnownBranch): KnownPeriod[] => day.periods.filter((p) => p.branch === b.name);
const dayWindow = (b: KnownBranch): [Date, Date] => [localInstant(DATE, 0, b.offsetMinutes), localInstant(DATE, 24 * 60, b.offsetMinutes)];

describe('the branch report tells the truth of the known day (SPEC §20)', () => {
  it('groupBy=day: every figure of each branch equals the one computed from its tickets', async () => {
    for (const b of day.branches) {
      const { status, body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=day`);
      expect(status).toBe(200);
      const truth = expected(DATE, ticketsOf(b), sumSeconds(periodsOf(b), ...dayWindow(b)));
      expect(body).toEqual({
        branch: b.code, from: DATE, to: DATE, groupBy: 'day',
        groups: [truth],
        total: { ...truth, key: 'total' },
      });
    }
  });

  it('groupBy=week, month and weekday give the same day under their keys', async () => {
    const b = day.branches[1]!;
    const truth = expected('', ticketsOf(b), sumSeconds(periodsOf(b), ...dayWindow(b)));
    for (const [groupBy, key] of [['week', '2026-W47'], ['month', '2026-11'], ['weekday', '3']] as const) {
      const { body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=2026-11-01&to=2026-11-30&groupBy=${groupBy}`);
      expect(body.groups).toEqual([{ ...truth, key }]);
    }
  });

  it('groupBy=hour: each local hour of the branch from the tickets that arrived in it and the advisors’ seconds in it', async () => {
    for (const b of day.branches) {
      const { body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`);
      const groups = body.groups as Array<{ key: string }>;
      const hours = new Set<number>([...ticketsOf(b).map((t) => Math.floor(localPeriod(t.createdAt, b.timeZone) / 2))]);
      for (const p of periodsOf(b)) if (p.status !== 'OFFLINE') for (let h = 0; h < 24; h++) {
        const s = sumSeconds([p], localInstant(DATE, h * 60, b.offsetMinutes), localInstant(DATE, (h + 1) * 60, b.offsetMinutes));
        if (s.AVAILABLE! + s.CALLING! + s.SERVING! + s.PAUSED! > 0) hours.add(h);
      }
      const want = [...hours].sort((x, y) => x - y).map((h) =>
        expected(
          `${String(h).padStart(2, '0')}:00`,
          ticketsOf(b).filter((t) => Math.floor(localPeriod(t.createdAt, b.timeZone) / 2) === h),
          sumSeconds(periodsOf(b), localInstant(DATE, h * 60, b.offsetMinutes), localInstant(DATE, (h + 1) * 60, b.offsetMinutes)),
        ),
      );
      expect(groups).toEqual(want);
    }
  });

  it('groupBy=weekdayHour (the page\'s heatmap): the hours of the day under their weekday, the same figures as groupBy=hour', async () => {
    for (const b of day.branches) {
      const hours = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`);
      const cells = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=weekdayHour`);
      expect(cells.status).toBe(200);
      // The known day is a Wednesday (ISO weekday 3) in both branches' zones.
      expect(cells.body.groups).toEqual((hours.body.groups as Array<{ key: string }>).map((g) => ({ ...g, key: `3-${g.key}` })));
      expect((cells.body.groups as unknown[]).length).toBeGreaterThan(1);
    }
  });

  it('the range\'s total over a month with a queue: the day\'s figures of that queue, one group', async () => {
    const b = day.branches[0]!;
    const queue = ticketsOf(b)[0]!.firstQueue;
    const { body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=2026-11-01&to=2026-11-30&groupBy=day&queue=${queue}`);
    expect(body.total).toEqual({ ...(body.groups as Array<Record<string, unknown>>)[0], key: 'total' });
    expect(body.groups).toHaveLength(1);
    expect((body.total as { arrived: number }).arrived).toBeGreaterThan(0);
  });

  it('intraday: each 30-minute period, same keys', async () => {
    const b = day.branches[0]!;
    const { status, body } = await admin(`/api/admin/reports/intraday?branch=${b.code}&date=${DATE}`);
    expect(status).toBe(200);
    const groups = body.groups as Array<{ key: string }>;
    expect(groups.length).toBeGreaterThan(10);
    for (const g of groups) {
      const [h, m] = g.key.split(':').map(Number) as [number, number];
      const period = h * 2 + m / 30;
      const from = localInstant(DATE, period * 30, b.offsetMinutes);
      const to = localInstant(DATE, period * 30 + 30, b.offsetMinutes);
      expect(g).toEqual(expected(g.key, ticketsOf(b).filter((t) => localPeriod(t.createdAt, b.timeZone) === period), sumSeconds(periodsOf(b), from, to)));
    }
    expect(body).toMatchObject({ branch: b.code, from: DATE, to: DATE });
  });

  it('&queue=: arrivals in the queue they arrived in, served in the queue that served them; no advisor shares', async () => {
    const b = day.branches[0]!;
    for (const queue of ['CAJA', 'PERSONAL_BANKER'] as const) {
      const { body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&queue=${queue}`);
      expect(body.groups).toEqual([expected(DATE, ticketsOf(b), null, (t) => t.firstQueue === queue, (t) => t.finalQueue === queue)]);
    }
  });

  it('&by=advisor: what each advisor served, their service and rating means, customers per hour and utilisation', async () => {
    const b = day.branches[1]!;
    const { body } = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&by=advisor`);
    const groups = body.groups as Array<Record<string, unknown>>;
    expect(groups.map((g) => g.advisorName)).toEqual(['Ana', 'Beto']);
    for (const [i, advisorId] of b.advisors.entries()) {
      const mine = ticketsOf(b).filter((t) => t.advisorId === advisorId);
      const seconds = sumSeconds(periodsOf(b).filter((p) => p.advisorId === advisorId), ...dayWindow(b));
      const truth = expected(String(advisorId), mine, seconds);
      expect(groups[i]).toEqual({
        ...truth, arrived: null, servedPct: null, noShowPct: null, abandonmentPct: null, waitMean: null, waitP50: null, waitP90: null,
        serviceLevelPct: null, advisorName: i === 0 ? 'Ana' : 'Beto',
      });
    }
  });
});

describe('the national report', () => {
  it('pools the branches: the p90 of both is the p90 of their pooled waits, totals weighted by volume', async () => {
    const waits = day.tickets.map(waitSeconds).filter((w): w is number => w !== null);
    const p90 = await admin(`/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=wait_p90`);
    expect(p90.status).toBe(200);
    expect(p90.body.national).toEqual({ volume: waits.length, value: percentile(waits, 0.9) });
    const branches = p90.body.branches as Array<{ code: string; volume: number; value: number | null }>;
    for (const b of day.branches) {
      const own = ticketsOf(b).map(waitSeconds).filter((w): w is number => w !== null);
      expect(branches.find((x) => x.code === b.code)).toMatchObject({ volume: own.length, value: percentile(own, 0.9) });
    }
    const level = await admin(`/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=service_level`);
    expect(level.body.national).toEqual({ volume: waits.length, value: share(waits.filter((w) => w <= 900).length, waits.length) });
    const noShow = await admin(`/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=no_show`);
    const noShows = day.tickets.filter((t) => t.status === 'NO_ATENDIDO' && t.assignedAt).length;
    expect(noShow.body.national).toEqual({ volume: day.tickets.length, value: share(noShows, day.tickets.length) });
    // Funnel limits around the national rate at each branch's volume (Spiegelhalter).
    const p = noShows / day.tickets.length;
    const first = (noShow.body.branches as Array<{ code: string; volume: number; limits: { p95: number[]; p998: number[] } }>).find(
      (x) => x.code === day.branches[0]!.code,
    )!;
    const half = 1.959964 * Math.sqrt((p * (1 - p)) / first.volume);
    expect(first.limits.p95).toEqual([round2(Math.max(0, p - half) * 100), round2(Math.min(1, p + half) * 100)]);
    expect(first.limits.p998[0]).toBeLessThan(first.limits.p95[0]!);
  });

  it('filters by region', async () => {
    await app.db.query(`update branch set region = 'Valparaíso' where name = $1`, [day.branches[1]!.name]);
    const { body } = await admin(`/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=no_show&region=${encodeURIComponent('Valparaíso')}`);
    expect((body.branches as Array<{ code: string }>).map((b) => b.code)).toEqual([day.branches[1]!.code]);
    expect((body.national as { volume: number }).volume).toBe(ticketsOf(day.branches[1]!).length);
  });
});

describe('who may read what, and bad parameters', () => {
  it('a SUPERVISOR reads their granted branch only (403 SUCURSAL_NO_AUTORIZADA elsewhere), not the national view', async () => {
    const [mine, other] = day.branches as [KnownBranch, KnownBranch];
    expect((await supervisor.request(`/api/admin/reports/branch?branch=${mine.code}&from=${DATE}&to=${DATE}`)).status).toBe(200);
    const refused = await supervisor.request(`/api/admin/reports/intraday?branch=${other.code}&date=${DATE}`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('SUCURSAL_NO_AUTORIZADA');
    const byName = await supervisor.request(`/api/admin/reports/branch?branch=${encodeURIComponent(other.name)}&from=${DATE}&to=${DATE}`);
    expect(byName.status).toBe(403);
    const national = await supervisor.request(`/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=no_show`);
    expect(((await national.json()) as { error: string }).error).toBe('ROL_NO_AUTORIZADO');
  });

  it.each([
    ['unknown branch', `/api/admin/reports/branch?branch=NO-EXISTE&from=${DATE}&to=${DATE}`, 'branch'],
    ['from after to', `/api/admin/reports/branch?branch=BRANCH&from=2026-11-20&to=2026-11-18`, 'to'],
    ['a 10-year range', `/api/admin/reports/branch?branch=BRANCH&from=2016-01-01&to=2026-01-01`, 'to'],
    ['an impossible date', `/api/admin/reports/branch?branch=BRANCH&from=2026-02-30&to=2026-03-01`, 'from'],
    ['an unknown groupBy', `/api/admin/reports/branch?branch=BRANCH&from=${DATE}&to=${DATE}&groupBy=year`, 'groupBy'],
    ['an unknown queue', `/api/admin/reports/branch?branch=BRANCH&from=${DATE}&to=${DATE}&queue=VIP`, 'queue'],
    ['an unknown metric', `/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=happiness`, 'metric'],
    ['a 10-year national range', `/api/admin/reports/national?from=2016-01-01&to=2026-01-01&metric=no_show`, 'to'],
    ['an intraday without date', `/api/admin/reports/intraday?branch=BRANCH`, 'date'],
  ])('%s → 400 VALIDACION_FALLIDA naming the field', async (_, path, field) => {
    const { status, body } = await admin(path.replace('BRANCH', day.branches[0]!.code));
    expect(status).toBe(400);
    expect(body.error).toBe('VALIDACION_FALLIDA');
    expect(Object.keys(body.campos as object)).toContain(field);
  });
});

const raw = (path: string): Promise<Response> => app.request(path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
const fromCsvNumber = (v: string): number | string | null => (v === '' ? null : /^-?\d+(,\d+)?$/.test(v) ? Number(v.replace(',', '.')) : v);

describe('exports (&format=csv|xlsx)', () => {
  it('CSV: UTF-8 with BOM, `;`, decimal comma; parsed back it is the JSON report', async () => {
    const b = day.branches[0]!;
    const path = `/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`;
    const json = (await admin(path)).body as { groups: Array<Record<string, unknown>> };
    const response = await raw(`${path}&format=csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toContain('.csv');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text.split('\n')[0]).toContain('llegados;atendidos;% atendidos');
    const rows = parse(text, { bom: true, delimiter: ';', columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(json.groups.length);
    rows.forEach((row, i) => {
      const g = json.groups[i]!;
      expect(row['sucursal']).toBe(b.code);
      expect(row['clave']).toBe(g.key);
      expect(fromCsvNumber(row['llegados']!)).toBe(g.arrived);
      expect(fromCsvNumber(row['espera p90 (min)']!)).toBe(g.waitP90);
      expect(fromCsvNumber(row['espera media (min)']!)).toBe(g.waitMean);
      expect(fromCsvNumber(row['% utilización']!)).toBe(g.utilisationPct);
    });
  });

  it('XLSX: read back with exceljs, numbers as numbers', async () => {
    const b = day.branches[1]!;
    const path = `/api/admin/reports/intraday?branch=${b.code}&date=${DATE}`;
    const json = (await admin(path)).body as { groups: Array<Record<string, unknown>> };
    const response = await raw(`${path}&format=xlsx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).getCell(2).value).toBe('clave');
    expect(sheet.rowCount).toBe(json.groups.length + 1);
    json.groups.forEach((g, i) => {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(2).value).toBe(g.key);
      expect(row.getCell(3).value).toBe(g.arrived);
      expect(typeof row.getCell(3).value).toBe('number');
      expect(row.getCell(10).value ?? null).toBe(g.waitP90);
    });
  });

  it('national: CSV and XLSX of the branches; every branch by day streamed as CSV', async () => {
    const path = `/api/admin/reports/national?from=${DATE}&to=${DATE}&metric=service_level`;
    const json = (await admin(path)).body as { branches: Array<Record<string, unknown>> };
    const csv = parse(await (await raw(`${path}&format=csv`)).text(), { bom: true, delimiter: ';', columns: true }) as Array<Record<string, string>>;
    expect(csv.map((r) => r['código'])).toEqual(json.branches.map((b) => b.code));
    expect(csv.map((r) => fromCsvNumber(r['valor']!))).toEqual(json.branches.map((b) => b.value));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await raw(`${path}&format=xlsx`)).arrayBuffer());
    expect(workbook.worksheets[0]!.rowCount).toBe(json.branches.length + 1);
    const detail = await raw(`/api/admin/reports/national?from=2026-11-17&to=2026-11-19&detail=day&format=csv`);
    expect(detail.status).toBe(200);
    const rows = parse(await detail.text(), { bom: true, delimiter: ';', columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => `${r['día']} ${r['código']}`).sort()).toEqual(day.branches.map((b) => `${DATE} ${b.code}`).sort());
    for (const b of day.branches) {
      const truth = (await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}`)).body as { groups: Array<Record<string, unknown>> };
      const row = rows.find((r) => r['código'] === b.code)!;
      expect(fromCsvNumber(row['atendidos']!)).toBe(truth.groups[0]!.served);
      expect(fromCsvNumber(row['espera p50 (min)']!)).toBe(truth.groups[0]!.waitP50);
    }
  });

  it.each([
    ['an unknown format', `/api/admin/reports/branch?branch=BRANCH&from=${DATE}&to=${DATE}&format=pdf`, 'format'],
    ['detail=day as xlsx', `/api/admin/reports/national?from=${DATE}&to=${DATE}&detail=day&format=xlsx`, 'format'],
  ])('%s → 400 naming the field', async (_, path, field) => {
    const { status, body } = await admin(path.replace('BRANCH', day.branches[0]!.code));
    expect(status).toBe(400);
    expect(Object.keys(body.campos as object)).toContain(field);
  });
});

describe('history outlives the tickets', () => {
  it('a day older than the ticket retention answers the same after the maintenance deleted its tickets', async () => {
    const b = day.branches[0]!;
    const before = await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`);
    const intradayBefore = await admin(`/api/admin/reports/intraday?branch=${b.code}&date=${DATE}`);
    clock.set(new Date('2027-03-01T12:00:00Z'));
    const summary = await new MaintenanceService({ db: app.sql, clock, logger: app.logger }).runDaily();
    expect(summary.ticketsDeleted).toBe(day.tickets.length);
    const [left] = await app.db.query<{ n: number }>(`select count(*)::int as n from ticket where service_date = $1`, [DATE]);
    expect(left!.n).toBe(0);
    expect(await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`)).toEqual(before);
    expect(await admin(`/api/admin/reports/intraday?branch=${b.code}&date=${DATE}`)).toEqual(intradayBefore);
    // The job does not touch it (not today or yesterday) and a recomputation is refused.
    await app.services.rollups.refreshToday();
    await expect(app.services.rollups.recomputeDay(DATE)).rejects.toThrow(/retención/);
    expect(await admin(`/api/admin/reports/branch?branch=${b.code}&from=${DATE}&to=${DATE}&groupBy=hour`)).toEqual(before);
  });
});

describe('the OpenAPI document', () => {
  it('lists the three report endpoints', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of ['/api/admin/reports/branch', '/api/admin/reports/intraday', '/api/admin/reports/national']) {
      expect(Object.keys(doc.paths[path] ?? {})).toEqual(['get']);
    }
  });
});
