import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { QUEUE_TYPES, type QueueType } from '../domain/queue-types.js';
import { breakSchema, hhmm, shiftSchema } from '../modules/staff-plan/plan.validation.js';
import { parseHhmm } from '../modules/staff-plan/plan-time.js';

/*
 * The simulator's scenario (SPEC §13), exactly the shape of shared/scenarios/example-branch.json:
 * every field required, no extra field anywhere.
 */

const queueType = z.enum(QUEUE_TYPES);
const rate = z.number().min(0).max(1);

/** `{"9": 20, "10": 25}`: customers per hour, keyed by the hour (0–23) that starts then. */
const hourly = z
  .record(z.string().regex(/^(?:[0-9]|1[0-9]|2[0-3])$/, 'las horas van de "0" a "23"'), z.number().min(0).max(2000))
  .refine((r) => Object.keys(r).length > 0, 'indica al menos una hora');

const perQueue = <T extends z.ZodType>(value: T) =>
  z.strictObject({ CAJA: value, PERSONAL_BANKER: value, EMPRESAS: value, GERENCIA: value });

const advisorSchema = z.strictObject({
  name: z.string().min(1).max(100),
  queues: z.array(queueType).min(1).max(4),
  shifts: z.array(shiftSchema).min(1).max(6),
  breaks: z.array(breakSchema).max(10),
});

const branchSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    opensAt: hhmm,
    closesAt: hhmm,
    advisors: z.array(advisorSchema).min(1).max(60),
    arrivals: perQueue(hourly),
    serviceMinutes: perQueue(z.strictObject({ mean: z.number().positive().max(240), sd: z.number().min(0).max(240) })),
    noShowRate: rate,
    cancelRate: rate,
    preferentialShare: rate,
    telegramShare: rate,
    comeBackShare: rate,
    comeBackLeadMinutes: z.array(z.number().int().min(1).max(120)).min(1).max(10),
  })
  .superRefine((branch, ctx) => {
    if (parseHhmm(branch.opensAt) >= parseHhmm(branch.closesAt)) {
      ctx.addIssue({ code: 'custom', message: 'debe ser posterior a opensAt', path: ['closesAt'] });
    }
    const names = new Set<string>();
    branch.advisors.forEach((a, i) => {
      if (names.has(a.name)) ctx.addIssue({ code: 'custom', message: 'nombre repetido en la sucursal', path: ['advisors', i, 'name'] });
      names.add(a.name);
    });
  });

export const scenarioSchema = z
  .strictObject({
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    days: z.number().int().min(1).max(31),
    branches: z.array(branchSchema).min(1).max(50),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.branches.forEach((b, i) => {
      if (names.has(b.name)) ctx.addIssue({ code: 'custom', message: 'sucursal repetida', path: ['branches', i, 'name'] });
      names.add(b.name);
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type BranchScenario = Scenario['branches'][number];
export type AdvisorScenario = BranchScenario['advisors'][number];

/** A scenario that cannot be run, with the field at fault (`branches[0].advisors[2].shifts[0].to`). */
export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ScenarioError';
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(raíz)';
}

/** Validates parsed JSON; the first problem is thrown naming its field. */
export function parseScenario(json: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...issue.path];
  // zod reports an unknown key on the object that holds it: name the key itself.
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]!);
  const message = issue.code === 'unrecognized_keys' ? 'campo no permitido' : issue.message;
  throw new ScenarioError(message, fieldPath(path));
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`no se pudo leer ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, null);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file} no es JSON válido: ${(error as Error).message}`, null);
  }
  return parseScenario(json);
}

/** Customers a scenario expects in all (the sum of its hourly rates over its days). */
export function expectedCustomers(s: Scenario): number {
  let perDay = 0;
  for (const b of s.branches) {
    for (const q of QUEUE_TYPES) perDay += Object.values(b.arrivals[q as QueueType]).reduce((a, n) => a + n, 0);
  }
  return perDay * s.days;
}

/** What one run may hold on this kind of machine (about 60 s per 1,000 customers at worst). */
export const MAX_CUSTOMERS_PER_RUN = 60_000;

/** Refuses, before anything starts, a scenario too large to run here. */
export function checkSize(s: Scenario): void {
  const customers = expectedCustomers(s);
  if (customers > MAX_CUSTOMERS_PER_RUN) {
    throw new ScenarioError(
      `el escenario espera unos ${Math.round(customers).toLocaleString('es-CL')} clientes; ` +
        `esta máquina simula como máximo ${MAX_CUSTOMERS_PER_RUN.toLocaleString('es-CL')} por ejecución ` +
        `(reduce days, branches o arrivals)`,
      'arrivals',
    );
  }
}
