import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { openScreen, type Screen } from '../support/sse.js';

// SPEC §16: what idle screens cost the database, counted (statements and PostgreSQL's committed
// transactions), not timed. Two instances on one database, several branches, several screens each.
const BRANCHES = Array.from({ length: 15 }, (_, i) => `Sucursal Barrido ${String(i + 1).padStart(2, '0')}`);
const SCREENS_PER_BRANCH_PER_INSTANCE = 2;
let a: TestApp;
let b: TestApp;
const controller = new AbortController();
const screens = new Map<string, Screen[]>();

const streamUrl = (app: TestApp, branch: string): string => `${app.url}/pantalla/stream?branch=${encodeURIComponent(branch)}`;
const snapshotsOf = (screen: Screen) => screen.events.filter((e) => e.event === 'snapshot');
const taken = (): number => a.screenHub.snapshotsTaken + b.screenHub.snapshotsTaken;

/** PostgreSQL's committed transactions in this database so far (as its statistics have them). */
async function commits(): Promise<number> {
  const [row] = await a.db.query<{ n: string }>(`select xact_commit as n from pg_stat_database where datname = current_database()`);
  return Number(row!.n);
}

beforeAll(async () => {
  // The sweep every second (its slowest default is 30 s): the test sees many sweeps in a few seconds.
  // 30 screens per instance from one loopback address: the per-IP cap (SPEC §22) is raised here.
  a = await startTestApp({ SCREEN_SWEEP_SECONDS: '1', SCREEN_STREAMS_PER_IP: '1000' });
  b = await startTestApp({ SCREEN_SWEEP_SECONDS: '1', SCREEN_STREAMS_PER_IP: '1000' }, { db: a.db });
  for (const [i, branch] of BRANCHES.entries()) {
    await seedBranch(a.db, branch, [{ name: `Asesor ${i}`, module: 1, queues: ['CAJA', 'PERSONAL_BANKER'], status: 'OFFLINE' }]);
  }
});
afterAll(async () => {
  controller.abort();
  await b?.stop();
  await a?.close();
});

describe('screens: the sweep and reconnections (SPEC §16)', () => {
  it('reads one snapshot per branch and instance when every screen connects at once (a deploy)', async () => {
    const before = { a: a.screenHub.snapshotsTaken, b: b.screenHub.snapshotsTaken };
    const opened = await Promise.all(
      BRANCHES.flatMap((branch) =>
        [a, b].flatMap((app) =>
          Array.from({ length: SCREENS_PER_BRANCH_PER_INSTANCE }, async () => ({ branch, screen: await openScreen(streamUrl(app, branch), controller.signal) })),
        ),
      ),
    );
    for (const { branch, screen } of opened) screens.set(branch, [...(screens.get(branch) ?? []), screen]);
    await eventually(async () => expect(opened.every(({ screen }) => snapshotsOf(screen).length > 0)).toBe(true), 15_000);
    expect(a.screenHub.clientCount).toBe(BRANCHES.length * SCREENS_PER_BRANCH_PER_INSTANCE);
    expect(a.screenHub.snapshotsTaken - before.a).toBe(BRANCHES.length);
    expect(b.screenHub.snapshotsTaken - before.b).toBe(BRANCHES.length);
  });

  it('sweeps with one statement per instance and snapshots nothing while nothing changes', async () => {
    // Settle: an idle connection's statistics reach pg_stat_database up to 10 s after its last transaction.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const sweeps = a.screenHub.sweepsRun + b.screenHub.sweepsRun;
    const snapshots = taken();
    const startCommits = await commits();
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const seconds = (Date.now() - started) / 1000;
    const perSecond = (await commits() - startCommits) / seconds;
    // Both instances swept several times (one statement each, for all 15 branches), and found nothing moved.
    expect(a.screenHub.sweepsRun + b.screenHub.sweepsRun - sweeps).toBeGreaterThanOrEqual(8);
    expect(a.screenHub.sweepFound + b.screenHub.sweepFound).toBe(0);
    expect(taken()).toBe(snapshots);
    // A snapshot per branch each sweep would be 30 a second here; the sweeps alone are 2 a second.
    expect(perSecond).toBeLessThan(5);
  });

  it('finds a change whose notification was lost, and snapshots that branch only', async () => {
    const branch = BRANCHES[3]!;
    const sweeps = a.screenHub.sweepsRun;
    const before = { a: a.screenHub.snapshotsTaken, b: b.screenHub.snapshotsTaken };
    // An advisor comes online with the triggers off: no NOTIFY, as if the LISTEN session had missed it.
    await a.db.query(
      `do $$ begin
         set local session_replication_role = replica;
         update advisor set status = 'AVAILABLE' where branch_office = '${branch}';
       end $$`,
    );
    await eventually(async () => {
      for (const screen of screens.get(branch)!) expect(snapshotsOf(screen).length).toBeGreaterThan(1);
    }, 10_000);
    expect(a.screenHub.sweepsRun).toBeGreaterThan(sweeps);
    // One snapshot per instance: the branch that moved, not the fourteen others.
    expect(a.screenHub.snapshotsTaken - before.a).toBe(1);
    expect(b.screenHub.snapshotsTaken - before.b).toBe(1);
    for (const other of BRANCHES.filter((x) => x !== branch)) {
      for (const screen of screens.get(other)!) expect(snapshotsOf(screen)).toHaveLength(1);
    }
  });
});
