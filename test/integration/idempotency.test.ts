import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MaintenanceService } from '../../src/modules/maintenance/maintenance.service.js';
import { eventually, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';
import { startAppProcess, type AppProcess } from '../support/second-instance.js';

let app: TestApp;
let n = 0;
const nextRut = (): string => rut(500 + ++n);

beforeAll(async () => {
  app = await startTestApp({ WAIT_ESTIMATOR: 'formula' });
});
afterAll(async () => {
  await app?.close();
});

interface Answer {
  status: number;
  replayed: string | null;
  body: Record<string, unknown>;
}

async function post(base: string, body: unknown, key?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${KIOSK_KEY}` };
  if (key !== undefined) headers['idempotency-key'] = key;
  const response = await fetch(`${base}/api/tickets`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body: (await response.json()) as Record<string, unknown> };
}

const ticketCount = async (): Promise<number> => {
  const [row] = await app.db.query<{ count: number }>(`select count(*)::int as count from ticket`);
  return row!.count;
};

describe('Idempotency-Key on POST /api/tickets (SPEC §19)', () => {
  beforeEach(async () => {
    await app.db.query('delete from ticket_idempotency_key');
    await app.db.query('delete from mensaje');
    await app.db.query('delete from ticket');
    await app.db.query('delete from ticket_daily_counter');
    await app.db.query(`update advisor set status = 'BUSY'`);
  });

  it('gives the same ticket back, 200 with Idempotent-Replayed: true, for the same key and body', async () => {
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'CAJA' };
    const first = await post(app.url, body, key);
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const again = await post(app.url, body, key);
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');
    expect(again.body).toMatchObject({
      identificador: first.body.identificador,
      numero: first.body.numero,
      status: first.body.status,
      positionInQueue: first.body.positionInQueue,
      queueType: 'CAJA',
    });
    expect(await ticketCount()).toBe(1);
  });

  it('without a key, the same request twice is a 409 (the key is what makes a retry safe)', async () => {
    const body = { nationalId: nextRut(), queueType: 'CAJA' };
    expect((await post(app.url, body)).status).toBe(201);
    expect((await post(app.url, body)).body).toMatchObject({ error: 'TICKET_ACTIVO_EXISTENTE' });
  });

  it('refuses the same key with another body: 422 IDEMPOTENCIA_CONFLICTO, and nothing is created', async () => {
    const key = randomUUID();
    const first = await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, key);
    expect(first.status).toBe(201);
    const other = await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: 'IDEMPOTENCIA_CONFLICTO' });
    const otherQueue = await post(app.url, { nationalId: rut(500 + n - 1), queueType: 'EMPRESAS' }, key);
    expect(otherQueue.status).toBe(422);
    expect(await ticketCount()).toBe(1);
  });

  it('treats the RUT as the same request however it is written (the parsed request is compared)', async () => {
    const key = randomUUID();
    const id = nextRut();
    const first = await post(app.url, { nationalId: id, queueType: 'CAJA' }, key);
    const again = await post(app.url, { nationalId: id.replace('-', ''), queueType: 'CAJA' }, key);
    expect(again.status).toBe(200);
    expect(again.body.identificador).toBe(first.body.identificador);
  });

  it('keeps only hashes of the key (scoped to the credential) and of the request, never the RUT', async () => {
    const key = randomUUID();
    await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, key);
    const [row] = await app.db.query<{ key_hash: string; request_hash: string; response: Record<string, unknown> }>(
      'select key_hash, request_hash, response from ticket_idempotency_key',
    );
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.key_hash).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain(rut(500 + n).split('-')[0]);
    expect(row!.response.telegramLink).toBeNull();
  });

  it('answers a malformed key with 400', async () => {
    const tooLong = 'x'.repeat(256);
    const answer = await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, tooLong);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'VALIDACION_FALLIDA' });
    expect(Object.keys(answer.body.campos as object)).toEqual(['Idempotency-Key']);
  });

  it('makes one ticket of two taps 50 ms apart', async () => {
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'PERSONAL_BANKER' };
    const first = post(app.url, body, key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = post(app.url, body, key);
    const answers = await Promise.all([first, second]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers[0]!.body.identificador).toBe(answers[1]!.body.identificador);
    expect(await ticketCount()).toBe(1);
  });

  it('makes one ticket of ten identical requests sent at once (the primary key settles it)', async () => {
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'CAJA' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(app.url, body, key)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.replayed === 'true')).toHaveLength(9);
    expect(new Set(answers.map((a) => a.body.identificador)).size).toBe(1);
    expect(await ticketCount()).toBe(1);
  });

  it('makes one ticket when the response is lost and the tótem retries with the same key', async () => {
    const key = randomUUID();
    const body = JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA' });
    const { port } = new URL(app.url);
    // The request goes out whole; the connection drops before any answer is read.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          [
            'POST /api/tickets HTTP/1.1',
            `Host: 127.0.0.1:${port}`,
            `Authorization: Bearer ${KIOSK_KEY}`,
            'Content-Type: application/json',
            `Idempotency-Key: ${key}`,
            `Content-Length: ${Buffer.byteLength(body)}`,
            '',
            body,
          ].join('\r\n'),
          () => {
            socket.destroy();
            resolve();
          },
        );
      });
      socket.on('error', reject);
    });
    // The server finishes the lost request on its own; the ticket appears once.
    await eventually(async () => expect(await ticketCount()).toBe(1));
    const retry = await post(app.url, JSON.parse(body), key);
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBe('true');
    const [row] = await app.db.query<{ codigo_referencia: string }>('select codigo_referencia from ticket');
    expect(retry.body.identificador).toBe(row!.codigo_referencia);
    expect(await ticketCount()).toBe(1);
  });

  it('takes over a key older than 24 h, and the maintenance job purges expired keys', async () => {
    const key = randomUUID();
    const first = await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, key);
    expect(first.status).toBe(201);
    await app.db.query(`update ticket_idempotency_key set created_at = created_at - interval '25 hours'`);
    // Past its window the key is new again: another body is a new ticket, not a conflict.
    const later = await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, key);
    expect(later.status).toBe(201);
    expect(later.body.identificador).not.toBe(first.body.identificador);

    await post(app.url, { nationalId: nextRut(), queueType: 'CAJA' }, randomUUID());
    await app.db.query(
      `update ticket_idempotency_key set created_at = created_at - interval '24 hours 1 minute' where ticket_id <> (select id from ticket where codigo_referencia = $1)`,
      [later.body.identificador],
    );
    const maintenance = new MaintenanceService({ db: app.sql, clock: { now: () => new Date() }, logger: app.logger });
    await maintenance.purgeOldRecords();
    const left = await app.db.query<{ ticket_id: string }>('select ticket_id from ticket_idempotency_key');
    expect(left).toHaveLength(1);
    const [kept] = await app.db.query<{ id: string }>('select id from ticket where codigo_referencia = $1', [later.body.identificador]);
    expect(left[0]!.ticket_id).toBe(kept!.id);
  });
});

describe('Idempotency-Key across two app instances', () => {
  let second: AppProcess;
  beforeAll(async () => {
    second = await startAppProcess(app.db.url, { WAIT_ESTIMATOR: 'formula' });
  }, 150_000);
  afterAll(async () => {
    await second?.stop();
  });

  it('makes one ticket of two taps 50 ms apart that reach different instances', async () => {
    for (let round = 0; round < 3; round++) {
      const key = randomUUID();
      const body = { nationalId: nextRut(), queueType: 'CAJA' };
      const before = await ticketCount();
      const first = post(app.url, body, key);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const other = post(second.url, body, key);
      const answers = await Promise.all([first, other]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
      expect(answers[0]!.body.identificador).toBe(answers[1]!.body.identificador);
      expect(await ticketCount()).toBe(before + 1);
    }
  });

  it('makes one ticket when the two instances get the same key at the same instant', async () => {
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'EMPRESAS' };
    const before = await ticketCount();
    const answers = await Promise.all([post(app.url, body, key), post(second.url, body, key), post(app.url, body, key), post(second.url, body, key)]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    expect(new Set(answers.map((a) => a.body.identificador)).size).toBe(1);
    expect(await ticketCount()).toBe(before + 1);
  });
});
