import { parse } from 'csv-parse/sync';

/** One data line of an import file, with its line number in the file (the header is line 1). */
export interface CsvRecord {
  line: number;
  values: Record<string, string>;
}

/** A line or field the import refuses, named so a person can fix the file (SPEC §17). */
export interface ImportProblem {
  archivo: 'sucursales' | 'personal';
  /** The file's line (1 is the header); null for a problem of the whole import (e.g. --deactivate-missing). */
  linea: number | null;
  campo: string | null;
  mensaje: string;
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; problem: ImportProblem };

/**
 * Parses a UTF-8 CSV with a header line, separated by `,` or `;` (SPEC §17): the header's own
 * separator decides (a quoted field may hold the other one, as hours like `L-V 09:00-13:00,15:00-17:00` do).
 * `csv-parse` does the quoting; a malformed file is one problem naming its line.
 */
export function parseImportCsv(text: string, archivo: ImportProblem['archivo'], expected: readonly string[]): CsvResult {
  const content = text.replace(/^\uFEFF/, '');
  const header = content.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = header.includes(';') && !header.includes(',') ? ';' : ',';
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(content, {
      delimiter,
      columns: (names: string[]) => names.map((n) => n.trim().toLowerCase()),
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
    }) as { record: Record<string, string>; info: { lines: number } }[];
  } catch (error) {
    const e = error as { message?: string; lines?: number };
    return { ok: false, problem: { archivo, linea: e.lines ?? null, campo: null, mensaje: `CSV no válido: ${(e.message ?? '').slice(0, 200)}` } };
  }
  const names = header.replace(/^\uFEFF/, '').split(delimiter).map((n) => n.trim().replace(/^"|"$/g, '').toLowerCase());
  const missing = expected.filter((column) => !names.includes(column));
  if (missing.length) {
    return { ok: false, problem: { archivo, linea: 1, campo: missing[0]!, mensaje: `Faltan columnas: ${missing.join(', ')} (se esperaba ${expected.join(',')})` } };
  }
  const unknown = names.filter((n) => !expected.includes(n));
  if (unknown.length) {
    return { ok: false, problem: { archivo, linea: 1, campo: unknown[0]!, mensaje: `Columnas desconocidas: ${unknown.join(', ')} (se esperaba ${expected.join(',')})` } };
  }
  return { ok: true, records: rows.map((r) => ({ line: r.info.lines, values: r.record })) };
}
