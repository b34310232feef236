import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { BranchReport, NationalReport, ReportGroup } from './report.service.js';

/**
 * Exports of the reports (SPEC §20): CSV streamed with csv-stringify (UTF-8 with BOM, `;` and a
 * decimal comma, as Excel in Spanish opens it) and XLSX with exceljs (numbers as numbers).
 */
export type Cell = string | number | null;
export interface Column {
  key: string;
  header: string;
}

export const GROUP_COLUMNS: Column[] = [
  { key: 'key', header: 'clave' },
  { key: 'arrived', header: 'llegados' },
  { key: 'served', header: 'atendidos' },
  { key: 'servedPct', header: '% atendidos' },
  { key: 'noShowPct', header: '% no se presentó' },
  { key: 'abandonmentPct', header: '% abandono' },
  { key: 'waitMean', header: 'espera media (min)' },
  { key: 'waitP50', header: 'espera p50 (min)' },
  { key: 'waitP90', header: 'espera p90 (min)' },
  { key: 'serviceLevelPct', header: '% nivel de servicio' },
  { key: 'serviceMean', header: 'atención media (min)' },
  { key: 'perAdvisorHour', header: 'clientes por hora-asesor' },
  { key: 'utilisationPct', header: '% utilización' },
  { key: 'ratingMean', header: 'evaluación media' },
];

export const NATIONAL_COLUMNS: Column[] = [
  { key: 'code', header: 'código' },
  { key: 'name', header: 'sucursal' },
  { key: 'region', header: 'región' },
  { key: 'volume', header: 'volumen' },
  { key: 'value', header: 'valor' },
  { key: 'p95lo', header: 'límite 95 % inferior' },
  { key: 'p95hi', header: 'límite 95 % superior' },
  { key: 'p998lo', header: 'límite 99,8 % inferior' },
  { key: 'p998hi', header: 'límite 99,8 % superior' },
];

export function branchTable(report: BranchReport): { columns: Column[]; rows: Array<Record<string, Cell>> } {
  const columns = [{ key: 'branch', header: 'sucursal' }, ...GROUP_COLUMNS, ...(report.groupBy === 'advisor' ? [{ key: 'advisorName', header: 'asesor' }] : [])];
  const rows = report.groups.map((g: ReportGroup) => ({ branch: report.branch, ...g }) as unknown as Record<string, Cell>);
  return { columns, rows };
}

export function nationalTable(report: NationalReport): { columns: Column[]; rows: Array<Record<string, Cell>> } {
  const rows = report.branches.map((b) => ({
    code: b.code, name: b.name, region: b.region, volume: b.volume, value: b.value,
    p95lo: b.limits.p95?.[0] ?? null, p95hi: b.limits.p95?.[1] ?? null, p998lo: b.limits.p998?.[0] ?? null, p998hi: b.limits.p998?.[1] ?? null,
  }));
  return { columns: NATIONAL_COLUMNS, rows };
}

/** A CSV stream of rows (any async source: nothing is held beyond what the client has not read yet). */
export function csvStream(columns: Column[], rows: AsyncIterable<Record<string, Cell>> | Iterable<Record<string, Cell>>): ReadableStream<Uint8Array> {
  const stringifier = stringify({
    bom: true,
    delimiter: ';',
    header: true,
    columns: columns.map((c) => ({ key: c.key, header: c.header })),
    cast: { number: (value: number) => String(value).replace('.', ',') },
  });
  const source = Readable.from(rows as AsyncIterable<Record<string, Cell>>);
  source.on('error', (error) => stringifier.destroy(error));
  source.pipe(stringifier);
  return Readable.toWeb(stringifier) as unknown as ReadableStream<Uint8Array>;
}

export async function xlsxBuffer(sheet: string, columns: Column[], rows: Array<Record<string, Cell>>): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Ticketero';
  const ws = workbook.addWorksheet(sheet);
  ws.columns = columns.map((c) => ({ header: c.header, key: c.key, width: Math.max(10, c.header.length + 2) }));
  for (const row of rows) ws.addRow(Object.fromEntries(columns.map((c) => [c.key, row[c.key] ?? null])));
  ws.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
