import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../../src/db/database.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { simulate } from '../../src/simulator/simulate.js';

/** A short, busy morning: about 60 customers in two hours, two advisors, a break, every kind of customer. */
const scenario = parseScenario({
  seed: 1234,
  days: 1,
  branches: [
    {
      name: 'Sucursal Prueba',
      opensAt: '09:00',
      closesAt: '11:00',
      advisors: [
        { name: 'Uno', queues: ['CAJA', 'PERSONAL_BANKER'], shifts: [{ from: '09:00', to: '11:00' }], breaks: [{ from: '10:00', minutes: 15 }] },
        { name: 'Dos', queues: ['CAJA', 'GERENCIA'], shifts: [{ from: '09:00', to: '11:00' }], breaks: [] },
      ],
      arrivals: { CAJA: { '9': 22, '10': 22 }, PERSONAL_BANKER: { '9': 3, '10': 3 }, EMPRESAS: { '9': 0 }, GERENCIA: { '9': 1, '10': 0 } },
      serviceMinutes: { CAJA: { mean: 4, sd: 2 }, PERSONAL_BANKER: { mean: 12, sd: 5 }, EMPRESAS: { mean: 18, sd: 8 }, GERENCIA: { mean: 20, sd: 8 } },
      noShowRate: 0.1,
      cancelRate: 0.1,
      preferentialShare: 0.1,
      telegramShare: 0.8,
      comeBackShare: 0.5,
      comeBackLeadMinutes: [10, 20],
    },
  ],
});

async function simulationDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: withDatabase(inject('adminDatabaseUrl'), 'postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'ticketero_sim_%'`);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

describe('npm run simulate', () => {
  it('gives the same report for the same seed, through the real services, and leaves no database behind', async () => {
    const before = await simulationDatabases();
    const first = await simulate(scenario, { serverUrl: inject('adminDatabaseUrl') });
    const second = await simulate(scenario, { serverUrl: inject('adminDatabaseUrl') });
    expect(first.records.length).toBeGreaterThan(30);
    expect(first.report.tickets).toBeGreaterThan(20);
    expect(second.report).toEqual(first.report);
    expect(second.details).toEqual(first.details);
    expect(second.records).toEqual(first.records);
    // Customers were promised waits, called, and some asked to be told ahead.
    expect(first.records.some((r) => r.comeBackLead !== null && r.noticeAt !== null)).toBe(true);
    expect(first.records.some((r) => r.estimate > 0)).toBe(true);
    const other = await simulate({ ...scenario, seed: 99 }, { serverUrl: inject('adminDatabaseUrl') });
    expect(other.records).not.toEqual(first.records);
    expect(await simulationDatabases()).toEqual(before);
  }, 180_000);

  it('stops on an invalid scenario naming the field, before any database exists', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ticketero-scenario-'));
    const file = path.join(dir, 'bad.json');
    const bad = JSON.parse(JSON.stringify(scenario)) as { branches: Record<string, unknown>[] };
    bad.branches[0]!.serviceMinutes = { CAJA: { mean: 4, sd: 2, median: 3 } };
    writeFileSync(file, JSON.stringify(bad));
    const before = await simulationDatabases();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/simulator/cli.ts', '--scenario', file], {
      env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Escenario inválido: branches[0].serviceMinutes.CAJA.median: campo no permitido');
    const unreadable = spawnSync(process.execPath, ['--import', 'tsx', 'src/simulator/cli.ts', '--scenario', path.join(dir, 'missing.json')], {
      env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toMatch(/no se pudo leer .*missing\.json: ENOENT/);
    expect(await simulationDatabases()).toEqual(before);
  }, 120_000);
});
