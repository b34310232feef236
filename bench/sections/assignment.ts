import { DomainError } from '../../src/errors.js';
import type { BenchContext, Row, Section } from '../support/context.js';
import { fixed, ms, perSecond } from '../support/format.js';
import { runLoops } from '../support/loops.js';
import { withClient } from '../support/postgres.js';
import { count, insertWaitingTickets, openServices } from '../support/scale.js';
import { ensureBranches } from '../support/branches.js';

/** Advisors in all, each in its own loop. */
const ADVISORS = 50;
/**
 * How the 50 are spread: all in one branch (the worst case: a branch's assignments are
 * serialised by its advisory lock, and a real branch has at most 5 modules), then 10 branches
 * of 5 (a network: branches assign independently).
 */
const LAYOUTS = [
  { branches: 1, label: '1 branch × 50' },
  { branches: 10, label: '10 branches × 5' },
] as const;
/** Waiting tickets at the start: at least this many, and more for long runs, so no line runs dry. */
const MIN_TICKETS = 5_000;
const TICKETS_PER_SECOND = 1_500;

interface Checks {
  assignedTwice: number;
  assignedTickets: number;
  assignmentAudits: number;
  countersOff: number;
  statusOff: number;
  completed: number;
  stillWaiting: number;
}

/**
 * Assignment throughput: 50 advisors, all serving CAJA, each in its own loop completing its
 * current customer (`AdvisorService.finishCurrent`, which frees the advisor and assigns the next
 * ticket) as fast as the app allows, for BENCH_SECONDS; once with all of them in one branch,
 * once spread over ten.
 */
export const assignmentThroughput: Section = {
  id: 'assignment',
  title: 'assignment throughput',
  async run(context) {
    const rows: Row[] = [];
    for (const layout of LAYOUTS) rows.push(...(await runLayout(context, layout.branches, layout.label)));
    return rows;
  },
};

async function runLayout(context: BenchContext, branchCount: number, label: string): Promise<Row[]> {
  const { settings, config } = context;
  const tickets = Math.max(MIN_TICKETS, settings.seconds * TICKETS_PER_SECOND);
  const branches = Array.from({ length: branchCount }, (_, i) => `Sucursal Asignación ${i + 1}`);
  const database = await context.scratchDatabase(`assign${branchCount}`);
  const seedMs = await withClient(database.url, async (client) => {
    const started = performance.now();
    await ensureBranches(client, branches, context.config.branchTimeZone);
    await client.query(
      `insert into advisor (name, email, status, module_number, queue_types, branch_office)
       select 'Cajero ' || k, 'cajero' || k || '@bench.banco.com', 'AVAILABLE', 1 + (k - 1) / cardinality($1::text[]), '["CAJA"]',
              ($1::text[])[1 + (k - 1) % cardinality($1::text[])]
       from generate_series(1, $2::int) k`,
      [branches, ADVISORS],
    );
    await insertWaitingTickets(client, {
      branches,
      queueTypes: ['CAJA'],
      count: tickets,
      timeZone: config.branchTimeZone,
      firstRut: 30_000_000,
    });
    await client.query('vacuum analyze');
    return performance.now() - started;
  });
  context.log(
    `${label}: ${ADVISORS} advisors (CAJA, AVAILABLE), ${count(tickets)} waiting CAJA tickets, ` +
      `inserted in ${fixed(seedMs / 1000, 1)} s`,
  );

  // One connection per loop: every advisor really has its transaction in flight.
  const { services, db, events, close } = openServices(database.url, config, { poolMax: ADVISORS, personalData: context.app.personalData });
  try {
    const advisors = (
      await db.execute<{ id: string; branch_office: string }[]>(
        `select id, branch_office from advisor where branch_office = any(?::text[]) order by id`,
        [branches],
      )
    ).map((row) => ({ id: Number(row.id), branch: row.branch_office }));

    let first = 0;
    for (const branch of branches) first += (await services.assignment.assignAvailable(branch)).length;
    context.log(`${label}: assignAvailable gave ${first} advisors a first ticket`);

    let assignedInWindow = 0;
    let deadline = Number.POSITIVE_INFINITY;
    const off = events.on('ticket.assigned', () => {
      if (performance.now() <= deadline) assignedInWindow++;
    });
    const errors = new Map<string, number>();
    let staleWhileWaiting = 0;
    let ranDryAt: number | null = null;
    const waitingLeft = async (branch: string): Promise<number> => {
      const [row] = await db.execute<{ n: number }[]>(
        `select count(*)::int as n from ticket where branch_office = ? and status in ('EN_ESPERA', 'PROXIMO')`,
        [branch],
      );
      return row?.n ?? 0;
    };

    context.log(`${label}: ${ADVISORS} loops of finishCurrent(COMPLETADO), ${settings.seconds} s`);
    const started = performance.now();
    deadline = started + settings.seconds * 1000;
    const result = await runLoops({
      concurrency: ADVISORS,
      seconds: settings.seconds,
      done: () => ranDryAt !== null,
      task: async (_n, loop) => {
        const advisor = advisors[loop]!;
        try {
          await services.floor.finishCurrent(advisor.id, 'COMPLETADO', { actor: 'SYSTEM' });
        } catch (error) {
          const code = error instanceof DomainError ? error.code : 'other';
          if (code === 'TRANSICION_INVALIDA') {
            if ((await waitingLeft(advisor.branch)) === 0) ranDryAt ??= performance.now();
            else staleWhileWaiting++;
          } else {
            errors.set(code, (errors.get(code) ?? 0) + 1);
          }
          throw error;
        }
      },
    });
    off();
    const seconds = (Math.min(ranDryAt ?? deadline, deadline) - started) / 1000;
    if (ranDryAt !== null) {
      context.log(`  a line ran dry after ${fixed(seconds, 1)} s: raise TICKETS_PER_SECOND in this file`);
    }
    for (const failure of result.failures) context.log(`  sample failure: ${failure}`);

    const checks = await check(context, database.url, branches);
    context.log(
      `${label}: ${count(checks.completed)} completed, ${count(checks.assignedTickets)} tickets ever assigned ` +
        `(${count(checks.assignmentAudits)} TICKET_ASIGNADO rows), ${count(checks.stillWaiting)} still waiting`,
    );

    const rate = assignedInWindow / seconds;
    const otherErrorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const otherErrors = [...errors.entries()].map(([code, n]) => `${code}×${n}`).join(', ');
    const verdict = (ok: boolean): Pick<Row, 'value' | 'target' | 'met'> => ({
      value: ok ? 'OK' : 'FAIL',
      target: 'OK',
      met: ok,
    });
    return [
      { metric: `${label}: tickets assigned/s`, value: perSecond(rate) },
      { metric: `${label}: finishCurrent calls completed`, value: count(result.completed) },
      { metric: `${label}: finishCurrent latency p50`, value: ms(result.latency.p50) },
      { metric: `${label}: finishCurrent latency p99`, value: ms(result.latency.p99) },
      {
        metric: `${label}: 409 TRANSICION_INVALIDA while tickets waited`,
        value: String(staleWhileWaiting),
        target: '0',
        met: staleWhileWaiting === 0,
      },
      {
        metric: `${label}: other errors`,
        value: otherErrorCount ? `${otherErrorCount} (${otherErrors})` : '0',
        target: '0',
        met: otherErrorCount === 0,
      },
      {
        metric: `${label}: no ticket assigned twice`,
        ...verdict(checks.assignedTwice === 0 && checks.assignmentAudits === checks.assignedTickets),
      },
      { metric: `${label}: assigned_tickets_count = ATENDIENDO`, ...verdict(checks.countersOff === 0) },
      { metric: `${label}: BUSY exactly when serving`, ...verdict(checks.statusOff === 0) },
    ];
  } finally {
    await close();
    // Now, not when the bench ends: nothing of this run goes on working under the next measurement.
    await database.drop();
  }
}

/** The invariants after the storm, straight from the tables. */
async function check(context: BenchContext, url: string, branches: readonly string[]): Promise<Checks> {
  const checks = await withClient(url, async (client) => {
    const { rows } = await client.query<Checks>(
      `select
         (select count(*)::int from (select entity_id from audit_log where event_type = 'TICKET_ASIGNADO'
                                      group by entity_id having count(*) > 1) d) as "assignedTwice",
         (select count(*)::int from ticket where assigned_at is not null) as "assignedTickets",
         (select count(*)::int from audit_log where event_type = 'TICKET_ASIGNADO') as "assignmentAudits",
         (select count(*)::int from advisor a
            where a.assigned_tickets_count <> (select count(*) from ticket t
                                               where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'))
           as "countersOff",
         (select count(*)::int from advisor a
            where a.branch_office = any($1::text[])
              and (a.status = 'BUSY') <> exists (select 1 from ticket t
                                                 where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'))
           as "statusOff",
         (select count(*)::int from ticket where status = 'COMPLETADO') as completed,
         (select count(*)::int from ticket where status in ('EN_ESPERA', 'PROXIMO')) as "stillWaiting"`,
      [branches],
    );
    return rows[0]!;
  });
  if (checks.assignedTwice > 0) context.log(`  FAIL: ${checks.assignedTwice} tickets assigned more than once`);
  if (checks.countersOff > 0) context.log(`  FAIL: ${checks.countersOff} advisors whose counter is off`);
  if (checks.statusOff > 0) context.log(`  FAIL: ${checks.statusOff} advisors BUSY without a ticket or serving while free`);
  return checks;
}
