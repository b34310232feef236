import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';
import { calledAt, openScreen } from '../support/sse.js';

// Two instances of the app on one database: screens on B must learn of calls made on A through
// PostgreSQL's change notifications (no polling). The safety sweep is set an hour away, so a call
// that reaches the screen at all came by notification; how fast is the bench's figure (screen
// latency in `npm run bench`), not a wall-clock limit here that flakes under load.
let a: TestApp;
let b: TestApp;
const controller = new AbortController();
const BRANCH = 'Sucursal Centro';
/** The screens' safety sweep an hour away: only a change notification can refresh them in a test. */
const NO_SWEEP = { SCREEN_SWEEP_SECONDS: '3600' };

beforeAll(async () => {
  a = await startTestApp(NO_SWEEP);
  b = await startTestApp(NO_SWEEP, { db: a.db });
  await a.db.query(`update advisor set status = 'OFFLINE'`);
  await a.db.query(`update advisor set status = 'BUSY' where email in ('ana.martinez@banco.com', 'carmen.silva@banco.com')`);
});
afterAll(async () => {
  controller.abort();
  await b?.stop();
  await a?.close();
});

async function advisorId(email: string): Promise<string> {
  const [row] = await a.db.query<{ id: string }>(`select id from advisor where email = $1`, [email]);
  return row!.id;
}

/** On instance A: a GERENCIA customer, then the advisor becomes free and is given them (a call). */
async function callOnA(n: number, email: string): Promise<{ numero: unknown }> {
  const created = await a.postTicket({ nationalId: rut(n), queueType: 'GERENCIA' });
  expect(created.status).toBe(201);
  const id = await advisorId(email);
  await a.db.query(`update advisor set status = 'BUSY' where id = $1`, [id]);
  const response = await fetch(`${a.url}/api/admin/advisors/${id}/status`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'AVAILABLE' }),
  });
  expect(response.status).toBe(200);
  return { numero: created.body.numero };
}

async function finishOnA(email: string): Promise<void> {
  const response = await fetch(`${a.url}/api/admin/advisors/${await advisorId(email)}/complete-ticket`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(200);
}

describe('screens driven by change notifications across instances', () => {
  it('shows a call made on instance A on a screen of instance B, pushed by the change notification', async () => {
    const screen = await openScreen(`${b.url}/pantalla/stream?branch=${encodeURIComponent(BRANCH)}`, controller.signal);
    await eventually(async () => expect(screen.events.some((e) => e.event === 'snapshot')).toBe(true));
    const call = await callOnA(1, 'ana.martinez@banco.com');
    await eventually(async () => expect(calledAt(screen, call.numero)).toBeDefined(), 15_000);
  });

  it('queries nothing for screens while nothing changes, and one snapshot per instance for a change', async () => {
    // Many screens of one branch on both instances: the work must not follow their number.
    const screens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        openScreen(`${(i % 2 ? a : b).url}/pantalla/stream?branch=${encodeURIComponent(BRANCH)}`, controller.signal),
      ),
    );
    await eventually(async () => expect(screens.every((s) => s.events.some((e) => e.event === 'snapshot'))).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let any refresh in flight settle
    const before = a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken).toBe(before);

    // The queue job's own rewrites (positions, estimates) are not something a screen shows.
    await a.db.query(`update ticket set estimated_wait_minutes = estimated_wait_minutes + 1, updated_at = now()`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken).toBe(before);

    await finishOnA('ana.martinez@banco.com');
    await eventually(async () => expect(a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken).toBeGreaterThanOrEqual(before + 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One change (the ticket and the advisor in one transaction) → one snapshot on each instance, not one per screen.
    expect(a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken - before).toBeLessThanOrEqual(4);
  });

  it('does not notify for a change that is rolled back', async () => {
    const before = b.screenHub.snapshotsTaken;
    await a.db.query(`begin; update advisor set status = 'AVAILABLE' where email = 'luis.perez@banco.com'; rollback`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.screenHub.snapshotsTaken).toBe(before);
  });

  it('recovers its LISTEN connection after it is killed, and catches up', async () => {
    const screen = await openScreen(`${b.url}/pantalla/stream?branch=${encodeURIComponent(BRANCH)}`, controller.signal);
    await eventually(async () => expect(screen.events.some((e) => e.event === 'snapshot')).toBe(true));
    const [row] = await a.db.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = 'ticketero-listen' and pid = $1`,
      [b.screenChanges.backendPid()],
    );
    expect(row).toBeDefined();
    await a.db.query(`select pg_terminate_backend($1)`, [row!.pid]);
    // Back by itself, on a new session.
    await eventually(async () => {
      const pid = b.screenChanges.backendPid();
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(row!.pid);
    }, 10_000);
    const call = await callOnA(2, 'carmen.silva@banco.com');
    await eventually(async () => expect(calledAt(screen, call.numero)).toBeDefined(), 15_000);
  });
});

