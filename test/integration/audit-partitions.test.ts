/**
 * audit_log partitioned by month (SPEC §16), maintained on an injected clock: months created
 * ahead, inserts at a month boundary land in the right month, the yearly archive moves whole
 * partitions to audit_log_archive, and the audit API reads across partitions as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { AUDIT_MONTHS_AHEAD, AuditPartitions } from '../../src/modules/audit/audit-partitions.js';
import { MaintenanceService } from '../../src/modules/maintenance/maintenance.service.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
const clock = new ManualClock(new Date('2027-03-15T12:00:00Z'));
let partitions: AuditPartitions;

beforeAll(async () => {
  app = await startTestApp();
  partitions = new AuditPartitions({ db: app.sql, clock, logger: app.logger });
});
afterAll(async () => {
  await app?.close();
});

const names = async () => (await partitions.list()).map((p) => p.name);

async function insertAudit(at: string, entityId: string): Promise<void> {
  await app.db.query(
    `insert into audit_log (entity_type, entity_id, event_type, actor, new_state, created_at)
     values ('TICKET', $1, 'TICKET_CREADO', 'SYSTEM', '{"numero":"C01"}', $2::timestamp)`,
    [entityId, at],
  );
}

const partitionOf = async (entityId: string) =>
  (await app.db.query<{ part: string }>(`select tableoid::regclass::text as part from audit_log where entity_id = $1`, [entityId]))[0]
    ?.part;

describe('audit_log partitions', () => {
  it('converted the table in place: the old rows live on in the first (legacy) partition, with a default one', async () => {
    const list = await partitions.list();
    expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(['audit_log_legacy', 'audit_log_default']));
    expect(await partitionOf('ticketero')).toBe('audit_log_legacy'); // SISTEMA_INICIADO, written at start
  });

  it(`creates this month and ${AUDIT_MONTHS_AHEAD} more ahead, once`, async () => {
    const created = await partitions.ensureAhead();
    expect(created).toEqual(['audit_log_y2027m03', 'audit_log_y2027m04', 'audit_log_y2027m05', 'audit_log_y2027m06']);
    expect(await partitions.ensureAhead()).toEqual([]);
  });

  it('puts inserts at a month boundary in their month', async () => {
    await insertAudit('2027-03-31 23:59:59.999', 'last-of-march');
    await insertAudit('2027-04-01 00:00:00', 'first-of-april');
    expect(await partitionOf('last-of-march')).toBe('audit_log_y2027m03');
    expect(await partitionOf('first-of-april')).toBe('audit_log_y2027m04');
    await insertAudit('2031-01-01 00:00:00', 'far-future');
    expect(await partitionOf('far-future')).toBe('audit_log_default');
  });

  it('moves rows of the default partition into their month when it is created', async () => {
    await insertAudit('2027-07-02 10:00:00', 'early-july');
    expect(await partitionOf('early-july')).toBe('audit_log_default');
    clock.set(new Date('2027-04-20T00:00:00Z'));
    expect(await partitions.ensureAhead()).toEqual(['audit_log_y2027m07']);
    expect(await partitionOf('early-july')).toBe('audit_log_y2027m07');
  });

  it('archives a month once all of it is a year old, by moving the whole partition, through the daily run', async () => {
    const maintenance = new MaintenanceService({ db: app.sql, clock, logger: app.logger });
    clock.set(new Date('2028-03-31T23:00:00Z')); // March 2027 still has rows younger than a year
    await maintenance.runDaily();
    expect(await names()).toContain('audit_log_y2027m03');

    clock.set(new Date('2028-04-01T00:00:01Z'));
    const summary = await maintenance.runDaily();
    expect(summary.auditArchived).toBeGreaterThanOrEqual(1);
    const now = await names();
    expect(now).not.toContain('audit_log_y2027m03');
    expect(now).toContain('audit_log_y2027m04');
    // …and months ahead of the new date exist.
    expect(now).toEqual(expect.arrayContaining(['audit_log_y2028m04', 'audit_log_y2028m07']));
    const [gone] = await app.db.query<{ n: number }>(`select count(*)::int as n from pg_class where relname = 'audit_log_y2027m03'`);
    expect(gone!.n).toBe(0);
    const archived = await app.db.query<{ entity_id: string }>(`select entity_id from audit_log_archive where entity_id = 'last-of-march'`);
    expect(archived).toEqual([{ entity_id: 'last-of-march' }]);
    expect(await partitionOf('last-of-march')).toBeUndefined();
    expect(await partitionOf('first-of-april')).toBe('audit_log_y2027m04');
  });

  it('finishes a move that stopped after the detach', async () => {
    await app.db.query(`alter table audit_log detach partition audit_log_y2027m04`);
    clock.set(new Date('2028-04-02T00:00:00Z')); // April 2027 not a year old yet, but already detached
    const { partitions: moved } = await partitions.archiveOlderThanAYear();
    expect(moved).toEqual(['audit_log_y2027m04']);
    expect(await app.db.query(`select entity_id from audit_log_archive where entity_id = 'first-of-april'`)).toHaveLength(1);
  });

  it('keeps the audit API reading across partitions', async () => {
    await insertAudit('2027-05-10 08:00:00', 'in-may');
    const response = await fetch(`${app.url}/api/admin/audit?entityType=TICKET&entityId=in-may`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: Array<{ entityId: string; eventType: string }> };
    expect(body.items.map((i) => [i.entityId, i.eventType])).toEqual([['in-may', 'TICKET_CREADO']]);
  });
});
