import { Hono, type Context } from 'hono';
import { ValidationError } from '../../errors.js';
import type { ReportService } from '../../modules/reports/report.service.js';
import {
  branchTable, csvStream, CSV_TYPE, GROUP_COLUMNS, nationalTable, xlsxBuffer, XLSX_TYPE, type Cell, type Column,
} from '../../modules/reports/report-export.js';

type Format = 'json' | 'csv' | 'xlsx';

function formatOf(value: string | undefined): Format {
  const format = value ?? 'json';
  if (format !== 'json' && format !== 'csv' && format !== 'xlsx') throw new ValidationError({ format: 'Debe ser json, csv o xlsx' });
  return format;
}

function download(c: Context, format: 'csv' | 'xlsx', name: string, body: ReadableStream<Uint8Array> | ArrayBuffer): Response {
  c.header('content-type', format === 'csv' ? CSV_TYPE : XLSX_TYPE);
  c.header('content-disposition', `attachment; filename="${name}.${format}"`);
  c.header('cache-control', 'no-store');
  return body instanceof ArrayBuffer ? c.body(body) : c.body(body);
}

async function table(c: Context, format: Format, name: string, sheet: string, t: { columns: Column[]; rows: Array<Record<string, Cell>> }, json: unknown): Promise<Response> {
  if (format === 'json') return c.json(json);
  if (format === 'csv') return download(c, 'csv', name, csvStream(t.columns, t.rows));
  const buffer = await xlsxBuffer(sheet, t.columns, t.rows);
  return download(c, 'xlsx', name, buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer);
}

/**
 * The reports (SPEC §20), read from the rollups, as JSON or exported (&format=csv|xlsx). Who may
 * read which branch is decided before these handlers, in route-permissions.ts.
 */
export function reportRoutes({ reports }: { reports: ReportService }): Hono {
  const app = new Hono();

  app.get('/reports/branch', async (c) => {
    const q = c.req.query();
    const format = formatOf(q.format);
    const report = await reports.branchReport({ branch: q.branch, from: q.from, to: q.to, groupBy: q.groupBy, queue: q.queue, by: q.by });
    return table(c, format, `informe-${report.branch}-${report.from}-${report.to}`, 'Informe', branchTable(report), report);
  });

  app.get('/reports/intraday', async (c) => {
    const q = c.req.query();
    const format = formatOf(q.format);
    const report = await reports.intraday({ branch: q.branch, date: q.date });
    return table(c, format, `intradia-${report.branch}-${report.from}`, 'Intradía', branchTable(report), report);
  });

  app.get('/reports/national', async (c) => {
    const q = c.req.query();
    const format = formatOf(q.format);
    if (q.detail !== undefined) {
      // Every branch by day: CSV only, streamed (a year of 1,000 branches is 365,000 rows).
      if (q.detail !== 'day') throw new ValidationError({ detail: 'Solo se acepta detail=day' });
      if (format !== 'csv') throw new ValidationError({ format: 'detail=day se exporta solo como csv' });
      reports.parseRange(q.from, q.to);
      const columns: Column[] = [
        { key: 'date', header: 'día' }, { key: 'code', header: 'código' }, { key: 'name', header: 'sucursal' }, { key: 'region', header: 'región' },
        ...GROUP_COLUMNS.filter((col) => col.key !== 'key'),
      ];
      return download(c, 'csv', `sucursales-por-dia-${q.from}-${q.to}`, csvStream(columns, reports.nationalDays({ from: q.from, to: q.to, region: q.region })));
    }
    const report = await reports.national({ from: q.from, to: q.to, metric: q.metric, region: q.region });
    return table(c, format, `nacional-${report.metric}-${report.from}-${report.to}`, 'Nacional', nationalTable(report), report);
  });

  return app;
}
