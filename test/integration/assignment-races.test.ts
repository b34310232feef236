import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rut } from '../support/ruts.js';
import { ADMIN_KEY, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { startAppProcess, type AppProcess } from '../support/second-instance.js';

let app: TestApp;
let other: AppProcess;
let n = 0;

beforeAll(async () => {
  app = await startTestApp({ QUEUE_RECALC_INTERVAL_MS: '200' }, { jobs: true });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  other = await startAppProcess(app.db.url, { QUEUE_RECALC_INTERVAL_MS: '200' });
}, 150_000);
afterAll(async () => {
  await other?.stop();
  await app?.close();
});

const post = (base: string, body: unknown) =>
  fetch(`${base}/api/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KIOSK_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const complete = (base: string, advisorId: number) =>
  fetch(`${base}/api/admin/advisors/${advisorId}/complete-ticket`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });

/** Committed state must always agree: an advisor's count is the number of customers in front of them. */
async function countersAgree(branch: string): Promise<void> {
  const wrong = await app.db.query(
    `select a.id, a.assigned_tickets_count, a.status,
            (select count(*)::int from ticket t where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO') as serving
     from advisor a where a.branch_office = $1`,
    [branch],
  );
  for (const row of wrong as { assigned_tickets_count: number; serving: number; status: string }[]) {
    expect(row.serving).toBeLessThanOrEqual(1);
    expect(row.assigned_tickets_count).toBe(row.serving);
    if (row.serving === 1) expect(row.status).toBe('BUSY');
  }
}

describe('assignment under concurrency (two app processes on one database)', () => {
  it('gives one free advisor exactly one of 5 tickets created at the same instant', async () => {
    const branch = 'Sucursal Carrera';
    const { Solo } = await seedBranch(app.db, branch, [{ name: 'Solo', module: 1, queues: ['CAJA'] }]);
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        post(i % 2 ? other.url : app.url, { nationalId: rut(30_000 + i), queueType: 'CAJA', branchOffice: branch }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    await new Promise((resolve) => setTimeout(resolve, 800)); // several queue-job ticks on both instances
    const serving = await app.db.query(
      `select id from ticket where branch_office = $1 and status = 'ATENDIENDO'`,
      [branch],
    );
    expect(serving).toHaveLength(1);
    const assignedEvents = await app.db.query(
      `select id from audit_log where event_type = 'ADVISOR_ASSIGNED' and entity_id = $1`,
      [String(Solo)],
    );
    expect(assignedEvents).toHaveLength(1);
    await countersAgree(branch);
  });

  it('survives 5 advisors pressing "complete" while 50 tickets arrive: no double assignment, counters consistent', async () => {
    const branch = 'Sucursal Tormenta';
    const ids = Object.values(
      await seedBranch(
        app.db,
        branch,
        Array.from({ length: 5 }, (_, i) => ({ name: `Asesor ${i + 1}`, module: i + 1, queues: ['CAJA' as const, 'PERSONAL_BANKER' as const] })),
      ),
    );
    const total = 50;
    let created = 0;
    const arrivals = (async () => {
      for (let i = 0; i < total; i += 5) {
        const batch = await Promise.all(
          Array.from({ length: 5 }, (_, j) =>
            post((i + j) % 2 ? other.url : app.url, {
              nationalId: rut(40_000 + ++n * 100 + j),
              queueType: j % 2 ? 'PERSONAL_BANKER' : 'CAJA',
              branchOffice: branch,
            }),
          ),
        );
        created += batch.filter((r) => r.status === 201).length;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const deadline = Date.now() + 40_000;
    const completions = ids.map(async (advisorId, k) => {
      let i = 0;
      for (;;) {
        const [{ remaining }] = (await app.db.query<{ remaining: number }>(
          `select count(*)::int as remaining from ticket where branch_office = $1 and status not in ('COMPLETADO')`,
          [branch],
        )) as [{ remaining: number }];
        if ((created === total && remaining === 0) || Date.now() > deadline) return;
        const response = await complete((i++ + k) % 2 ? other.url : app.url, advisorId);
        expect([200, 409]).toContain(response.status);
        await response.body?.cancel();
      }
    });
    const sampler = (async () => {
      while (Date.now() < deadline) {
        await countersAgree(branch);
        const [{ remaining }] = (await app.db.query<{ remaining: number }>(
          `select count(*)::int as remaining from ticket where branch_office = $1 and status <> 'COMPLETADO'`,
          [branch],
        )) as [{ remaining: number }];
        if (created === total && remaining === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    await Promise.all([arrivals, ...completions, sampler]);

    expect(created).toBe(total);
    const tickets = await app.db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from ticket where branch_office = $1 group by status`,
      [branch],
    );
    expect(tickets).toEqual([{ status: 'COMPLETADO', n: total }]);
    // Every ticket was assigned exactly once…
    const perTicket = await app.db.query<{ n: number }>(
      `select count(*)::int as n from audit_log a join ticket t on a.entity_id = t.id::text
       where a.entity_type = 'TICKET' and a.event_type = 'TICKET_ASIGNADO' and t.branch_office = $1 group by t.id`,
      [branch],
    );
    expect(perTicket).toHaveLength(total);
    expect(perTicket.every((r) => r.n === 1)).toBe(true);
    // …and each advisor's assignments and releases alternate: never two customers at once.
    for (const advisorId of ids) {
      const events = await app.db.query<{ event_type: string }>(
        `select event_type from audit_log where entity_type = 'ADVISOR' and entity_id = $1
           and event_type in ('ADVISOR_ASSIGNED', 'ADVISOR_FREED') order by id`,
        [String(advisorId)],
      );
      events.forEach((e, i) => expect(e.event_type).toBe(i % 2 === 0 ? 'ADVISOR_ASSIGNED' : 'ADVISOR_FREED'));
    }
    await countersAgree(branch);
    const [served] = await app.db.query<{ served: number }>(
      `select sum(total_tickets_served_today)::int as served from advisor where branch_office = $1`,
      [branch],
    );
    expect(served!.served).toBe(total);
  });
});
