// `npm run import -- --branches branches.csv --staff staff.csv [--dry-run] [--deactivate-missing]`
// (SPEC §17): the same ImportService as POST /api/admin/import, on DATABASE_URL or the embedded
// server, with a progress bar. Exit code 0 when applied (or a clean dry run), 1 on bad lines.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { prepareDatabase } from '../../db/prepare.js';
import { createDb } from '../../db/sql.js';
import { systemClock } from '../../clock.js';
import { createLogger } from '../../logger.js';
import { openPersonalData } from '../privacy/key-source.js';
import { BranchZones } from '../branches/branch-zones.js';
import { ImportService, type ImportReport } from './import.service.js';

const USAGE = 'Uso: npm run import -- --branches sucursales.csv --staff personal.csv [--dry-run] [--deactivate-missing]';

export function formatReport(report: ImportReport): string {
  const lines: string[] = [];
  const counts = (label: string, c: ImportReport['sucursales']): string =>
    `${label}: ${c.crear} a crear, ${c.actualizar} a actualizar, ${c.desactivar} a desactivar, ${c.sinCambios} sin cambios`;
  lines.push(report.dryRun ? 'Simulación (--dry-run): no se escribió nada.' : report.aplicada ? 'Importación aplicada.' : 'No se escribió nada.');
  lines.push(counts('Sucursales', report.sucursales));
  lines.push(counts('Personal', report.personal));
  if (report.errores.length) {
    lines.push(`${report.errores.length} error(es):`);
    for (const e of report.errores) lines.push(`  ${e.archivo}${e.linea !== null ? ` línea ${e.linea}` : ''}${e.campo ? ` [${e.campo}]` : ''}: ${e.mensaje}`);
  }
  lines.push(`Tiempo: ${(report.ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

async function run(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: { branches: { type: 'string' }, staff: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'deactivate-missing': { type: 'boolean' } },
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!args.branches && !args.staff) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const branches = args.branches ? await readFile(args.branches, 'utf8') : undefined;
  const staff = args.staff ? await readFile(args.staff, 'utf8') : undefined;
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const { cipher } = await openPersonalData(config, logger);
    await prepareDatabase({ url: database.url, logger, cipher, migrate: true });
    const db = createDb({ url: database.url, max: 2, logger });
    const bar = new cliProgress.SingleBar(
      { format: 'Importando [{bar}] {percentage}% | {value}/{total} cambios | {etapa}', stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 1000 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    try {
      const imports = new ImportService({
        db,
        clock: systemClock,
        zones: new BranchZones({ fallback: config.branchTimeZone }),
        defaults: { timeZone: config.branchTimeZone, closingTime: config.floor.closingTime },
      });
      const report = await imports.run({
        ...(branches !== undefined ? { branches } : {}),
        ...(staff !== undefined ? { staff } : {}),
        dryRun: args['dry-run'] ?? false,
        deactivateMissing: args['deactivate-missing'] ?? false,
        origin: { actor: 'SYSTEM', userAgent: `npm run import (${userInfo().username})` },
        onProgress: ({ etapa, hechos, total }) => {
          if (!started) {
            bar.start(Math.max(total, 1), hechos, { etapa });
            started = true;
          }
          bar.setTotal(Math.max(total, 1));
          bar.update(hechos, { etapa });
        },
      });
      if (started) bar.stop();
      process.stdout.write(`${formatReport(report)}\n`);
      if (report.errores.length) process.exitCode = 1;
    } finally {
      if (started) bar.stop();
      await db.close();
    }
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    console.error(`${(error as { code: string }).code}: ${error.message}`);
  } else console.error(error);
  process.exitCode = 1;
});
