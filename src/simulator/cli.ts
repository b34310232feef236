// npm run simulate -- --scenario FILE.json [--out REPORT.json] [--chart CHART.svg]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import { writeFile } from 'node:fs/promises';
import type { buildReport, goals, Metrics } from './report.js';
import { simulate } from './simulate.js';
import { checkSize, expectedCustomers, loadScenario, ScenarioError, type Scenario } from './scenario.js';

const USAGE = 'uso: npm run simulate -- --scenario ESCENARIO.json [--out REPORTE.json] [--chart GRAFICO.svg]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { scenario: { type: 'string' }, out: { type: 'string' }, chart: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!args.scenario) {
    process.stderr.write(`falta --scenario\n${USAGE}\n`);
    return 2;
  }

  // Everything about the scenario is checked before any database exists.
  let scenario: Scenario;
  try {
    scenario = await loadScenario(args.scenario);
    checkSize(scenario);
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`Escenario inválido: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const started = performance.now();
  const expected = Math.round(expectedCustomers(scenario));
  process.stderr.write(
    `Simulando ${args.scenario}: ${scenario.days} día(s), ${scenario.branches.length} sucursal(es), ~${expected} clientes\n`,
  );
  const { records, report, details } = await simulate(scenario, {
    serverUrl: process.env.DATABASE_URL,
    onProgress: (p) =>
      process.stderr.write(
        `\r  día ${p.day}/${p.days}  ${p.virtualTime}  clientes ${p.customers}/~${expected}  en espera ${p.waiting}  ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s   `,
      ),
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`\r${' '.repeat(100)}\r`);

  process.stdout.write(summary(args.scenario, report, details.goals, records.length, seconds));
  if (args.out) {
    await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`);
    const detailsFile = args.out.replace(/\.json$/i, '') + '.details.json';
    await writeFile(detailsFile, `${JSON.stringify({ ...details, seconds: Math.round(seconds * 10) / 10 }, null, 2)}\n`);
    process.stdout.write(`Reporte: ${args.out} (desglose: ${detailsFile})\n`);
  }
  if (args.chart) {
    await writeFile(args.chart, renderChart(records, `${path.basename(args.scenario)}: espera prometida vs real`));
    process.stdout.write(`Gráfico: ${args.chart}\n`);
  }
  return 0;
}

function summary(
  file: string,
  report: ReturnType<typeof buildReport>,
  g: ReturnType<typeof goals>,
  customers: number,
  seconds: number,
): string {
  const row = (name: string, m: Metrics) =>
    `  ${name.padEnd(10)} ${m.mae.toFixed(2).padStart(7)} ${m.meanRelErr.toFixed(3).padStart(8)} ${m.withinBand.toFixed(3).padStart(8)} ${m.lateBy5.toFixed(3).padStart(8)}\n`;
  const mark = (met: boolean) => (met ? 'ok' : 'NO');
  return (
    `${file}: ${customers} clientes, ${report.tickets} llamados, ${seconds.toFixed(1)} s\n` +
    `             mae   relErr   banda   tarde5\n` +
    row('estimador', report.estimator) +
    row('fórmula', report.baseline) +
    `  comeBack: a tiempo ${report.comeBack.onTime}, tarde ${report.comeBack.late}, sin aviso ${report.comeBack.missed}, ` +
    `mediana de anticipación ${report.comeBack.medianEarlyMinutes} min\n` +
    `  metas: mae/fórmula ${g.maeRatio.value} (${g.maeRatio.goal}) ${mark(g.maeRatio.met)}; ` +
    `banda ${g.withinBand.value} (${g.withinBand.goal}) ${mark(g.withinBand.met)}; ` +
    `tarde5 ${g.lateBy5.value} (${g.lateBy5.goal}) ${mark(g.lateBy5.met)}; ` +
    `a tiempo ${g.comeBackOnTime.value} (${g.comeBackOnTime.goal}) ${mark(g.comeBackOnTime.met)}; ` +
    `anticipación ${g.medianEarlyMinutes.value} (${g.medianEarlyMinutes.goal}) ${mark(g.medianEarlyMinutes.met)}\n`
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\nLa simulación falló: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
