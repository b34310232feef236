/**
 * A customer cancels while an advisor calls them (SPEC §12; issue 17 item 4): the cancellation,
 * which first found the ticket waiting, finds it called; the refusal is classified by type (not by
 * reading error.details) and the cancellation goes through once more, as a walkout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/sql.js';
import { EventBus } from '../../src/events.js';
import { createServices } from '../../src/services.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { rut } from '../support/ruts.js';

const BRANCH = 'Sucursal Carrera';
let app: TestApp;
let advisors: Record<string, number>;

beforeAll(async () => {
  app = await startTestApp();
  advisors = await seedBranch(app.db, BRANCH, [{ name: 'Rita', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** The app's services on a Db that runs `meanwhile` right after the cancellation's first look at the ticket. */
function servicesWithACallBetween(meanwhile: () => Promise<void>) {
  let raced = false;
  const db: Db = {
    execute: async <T>(sql: string, params?: readonly unknown[]): Promise<T> => {
      const rows = await app.sql.execute<T>(sql, params);
      if (!raced && sql.includes("status = 'ATENDIENDO' and service_started_at is null")) {
        raced = true;
        await meanwhile();
      }
      return rows;
    },
    transactional: (work) => app.sql.transactional(work),
    close: async () => {},
    poolStats: () => app.sql.poolStats(),
  };
  return createServices({ db, clock: { now: () => new Date() }, events: new EventBus(), config: app.config, links: { start: () => null }, personalData: app.personalData });
}

describe('cancelling while being called', () => {
  it('becomes a walkout that frees the advisor, not a refusal', async () => {
    const { status, body } = await app.postTicket({ nationalId: rut(9701), queueType: 'CAJA', branchOffice: BRANCH });
    expect(status).toBe(201);
    const codigo = String(body.identificador);
    const services = servicesWithACallBetween(async () => {
      // Rita comes back and is given the customer, between the two looks.
      await app.services.floor.setStatus(advisors.Rita!, 'AVAILABLE', null, { actor: 'SYSTEM' });
      await app.services.assignment.assignAvailable(BRANCH);
      expect((await app.services.tickets.getByCodigo(codigo)).status).toBe('ATENDIENDO');
    });
    const cancelled = await services.tickets.cancel(codigo, { actor: 'SYSTEM' });
    expect(cancelled.status).toBe('CANCELADO');
    const [walkout] = await app.db.query<{ walkout: boolean }>(
      `select (additional_data->>'walkout')::boolean as walkout from audit_log where event_type = 'TICKET_CANCELADO' and additional_data->>'numero' = $1`,
      [cancelled.numero],
    );
    expect(walkout).toEqual({ walkout: true });
    const [rita] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [advisors.Rita]);
    expect(rita!.status).toBe('AVAILABLE');
  });

  it('is refused once the customer is at the desk', async () => {
    await app.services.floor.setStatus(advisors.Rita!, 'BUSY', 'Colación', { actor: 'SYSTEM' });
    const { body } = await app.postTicket({ nationalId: rut(9702), queueType: 'CAJA', branchOffice: BRANCH });
    const codigo = String(body.identificador);
    const services = servicesWithACallBetween(async () => {
      await app.services.floor.setStatus(advisors.Rita!, 'AVAILABLE', null, { actor: 'SYSTEM' });
      await app.services.assignment.assignAvailable(BRANCH);
      await app.services.floor.arrived(advisors.Rita!, { actor: 'SYSTEM' });
    });
    await expect(services.tickets.cancel(codigo, { actor: 'SYSTEM' })).rejects.toMatchObject({ code: 'TICKET_NO_CANCELABLE', details: { llegoAlModulo: true } });
  });
});
