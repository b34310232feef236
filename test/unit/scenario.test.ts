import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSize, expectedCustomers, parseScenario, ScenarioError } from '../../src/simulator/scenario.js';

const example = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('../../scenarios/example-branch.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function errorOf(json: unknown): ScenarioError {
  try {
    parseScenario(json);
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

describe('the scenario format', () => {
  it('accepts the shared example as it is', () => {
    const scenario = parseScenario(example());
    expect(scenario.branches[0]!.advisors).toHaveLength(5);
    expect(Math.round(expectedCustomers(scenario))).toBe(174);
  });

  it('refuses an extra field, naming it', () => {
    const s = example() as { branches: Record<string, unknown>[] };
    s.branches[0]!.lunch = true;
    expect(errorOf(s).field).toBe('branches[0].lunch');
    expect(errorOf({ ...example(), extra: 1 }).message).toBe('extra: campo no permitido');
  });

  it('names a missing field and a bad value', () => {
    const missing = example();
    delete missing.seed;
    expect(errorOf(missing).field).toBe('seed');
    const s = example() as { branches: { advisors: { shifts: { to: string }[] }[]; noShowRate: number }[] };
    s.branches[0]!.advisors[2]!.shifts[0]!.to = '25:00';
    expect(errorOf(s).field).toBe('branches[0].advisors[2].shifts[0].to');
    const t = example() as { branches: { noShowRate: number }[] };
    t.branches[0]!.noShowRate = 1.5;
    expect(errorOf(t).field).toBe('branches[0].noShowRate');
  });

  it('refuses a branch that closes before it opens, a queue without arrivals and an unknown queue', () => {
    const s = example() as { branches: { closesAt: string; arrivals: Record<string, unknown> }[] };
    s.branches[0]!.closesAt = '08:00';
    expect(errorOf(s).field).toBe('branches[0].closesAt');
    const u = example() as { branches: { arrivals: Record<string, unknown> }[] };
    delete u.branches[0]!.arrivals.GERENCIA;
    expect(errorOf(u).field).toBe('branches[0].arrivals.GERENCIA');
    const v = example() as { branches: { advisors: { queues: string[] }[] }[] };
    v.branches[0]!.advisors[0]!.queues = ['CAJA', 'HIPOTECARIO'];
    expect(errorOf(v).field).toBe('branches[0].advisors[0].queues[1]');
  });

  it('says before starting that a scenario is too large for the machine', () => {
    const s = parseScenario({ ...example(), days: 31, branches: Array.from({ length: 20 }, (_, i) => ({ ...(example().branches as object[])[0], name: `Sucursal ${i}` })) });
    expect(() => checkSize(s)).toThrow(/el escenario espera unos .* clientes; esta máquina simula como máximo/);
  });
});
