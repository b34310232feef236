import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm } from '../../src/db/orm.js';
import { createLogger } from '../../src/logger.js';
import { keyIdOf, PersonalDataCipher } from '../../src/modules/privacy/cipher.js';
import { generateKeyEnv, parseBlindIndexKey, parseDataKeys, type DataKey } from '../../src/modules/privacy/keys.js';
import { rotateKeys } from '../../src/modules/privacy/rotation.js';
import { ADMIN_KEY, startTestApp, TEST_PERSONAL_DATA_KEYS, type TestApp } from '../support/app.js';
import { createEmptyDatabase, type TestDatabase } from '../support/database.js';
import { rutIndex, sealedPhone, sealedRut } from '../support/personal-data.js';
import { rut } from '../support/ruts.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function captureLogs(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) };
}

/** As the break-glass ADMIN; a person's data is read or erased with a `motivo` (SPEC §18). */
const admin = (app: TestApp, route: string, init: RequestInit = {}) =>
  app.request(route.startsWith('/api/admin/personas/') ? `${route}?motivo=${encodeURIComponent('Solicitud del titular (Ley 21.719)')}` : route, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.headers ?? {}) },
  });

const cipherFor = (env: { DATA_ENCRYPTION_KEYS: string; BLIND_INDEX_KEY: string }): PersonalDataCipher =>
  new PersonalDataCipher({
    dataKeys: (parseDataKeys(env.DATA_ENCRYPTION_KEYS) as { value: DataKey[] }).value,
    blindIndexKey: (parseBlindIndexKey(env.BLIND_INDEX_KEY) as { value: Buffer }).value,
  });

describe('existing plaintext rows (the migration)', () => {
  let db: TestDatabase;
  let app: TestApp;
  const rutA = rut(4101);
  const rutB = '10000013-K';
  beforeAll(async () => {
    // A database as the previous release left it: every migration before SPEC §14, plaintext rows.
    db = await createEmptyDatabase();
    const orm = await openOrm({ url: db.url, poolMax: 2 });
    await orm.getMigrator().up({ to: 'Migration20261129171626_dispatch_indexes' });
    await orm.close(true);
    const ticket = `insert into ticket (codigo_referencia, numero, national_id, telefono, branch_office, queue_type, status,
        position_in_queue, estimated_wait_minutes, service_date) values (gen_random_uuid(), $1, $2, $3, 'Sucursal Centro', 'CAJA', $4, 1, 5, current_date)`;
    await db.query(ticket, ['C01', rutA, '+56911110001', 'COMPLETADO']);
    await db.query(ticket, ['C02', rutA, '+56911110001', 'EN_ESPERA']);
    await db.query(ticket, ['C03', rutB, null, 'CANCELADO']);
    // More rows than one batch, so the data step walks several.
    await db.query(
      `insert into ticket (codigo_referencia, numero, national_id, branch_office, queue_type, status, position_in_queue,
         estimated_wait_minutes, service_date)
       select gen_random_uuid(), 'P' || n, (20000000 + n)::text || '-0', 'Sucursal Centro', 'PERSONAL_BANKER', 'COMPLETADO', 0, 0, current_date - 1
       from generate_series(1, 1200) n`,
    );
    await db.query(`insert into telegram_customer (chat_id, national_id, phone) values (71001, $1, '+56911110001'), (71002, null, '+56922220002')`, [rutA]);
    await db.query(
      `insert into audit_log (entity_type, entity_id, event_type, actor, new_state, created_at)
       values ('TICKET', '1', 'TICKET_CREADO', 'KIOSK', $1::json, now())`,
      [JSON.stringify({ numero: 'C01', nationalId: rutA, status: 'EN_ESPERA' })],
    );
    app = await startTestApp({}, { db });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('encrypts and indexes every plaintext RUT and phone, then drops the plaintext columns', async () => {
    const plaintext = await db.query(
      `select table_name, column_name from information_schema.columns
       where table_schema = 'public' and table_name in ('ticket', 'telegram_customer')
         and column_name in ('national_id', 'telefono', 'phone')`,
    );
    expect(plaintext).toEqual([]);
    const tickets = await db.query<{ numero: string; national_id_enc: string; national_id_bidx: Buffer; telefono_enc: string | null }>(
      `select numero, national_id_enc, national_id_bidx, telefono_enc from ticket order by id`,
    );
    expect(tickets).toHaveLength(1203);
    expect(tickets.every((t) => keyIdOf(t.national_id_enc) === 'test')).toBe(true);
    expect(app.personalData.decrypt('rut', tickets[0]!.national_id_enc)).toBe(rutA);
    expect(tickets[0]!.national_id_bidx.equals(rutIndex(app, rutA))).toBe(true);
    expect(app.personalData.decrypt('phone', tickets[0]!.telefono_enc!)).toBe('+56911110001');
    expect(app.personalData.decrypt('rut', tickets[2]!.national_id_enc)).toBe(rutB);
    expect(tickets[2]!.telefono_enc).toBeNull();
    expect(app.personalData.decrypt('rut', tickets[1202]!.national_id_enc)).toBe('20001200-0');
  });

  it('keeps the lookups working on migrated rows: the active ticket still blocks its RUT, the chat still has it', async () => {
    const second = await app.postTicket({ nationalId: rutA, queueType: 'CAJA' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'TICKET_ACTIVO_EXISTENTE', ticketActivo: 'C02' });
    expect(await app.services.customers.get(71001)).toMatchObject({ nationalId: rutA, phone: '+56911110001' });
    expect(await app.services.customers.get(71002)).toMatchObject({ nationalId: null, phone: '+56922220002' });
  });

  it('masks the RUT in the audit rows written before', async () => {
    const [row] = await db.query<{ new_state: { nationalId: string } }>(`select new_state from audit_log where event_type = 'TICKET_CREADO'`);
    expect(row!.new_state.nationalId).toBe('10.***.***-' + rutA.slice(-1));
  });
});

describe('the holder’s rights through the supervisor API', () => {
  let app: TestApp;
  let logs: ReturnType<typeof captureLogs>;
  const person = rut(4201);
  const phone = '+56933334444';
  let carlosId: string;

  beforeAll(async () => {
    logs = captureLogs();
    app = await startTestApp({}, { logger: logs.logger });
    await app.db.query(`update advisor set status = 'OFFLINE'`);
    [{ id: carlosId }] = (await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`)) as [
      { id: string },
    ];
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A ticket served from start to end by Carlos: creation, assignment, completion. */
  async function servedTicket(nationalId: string, telefono?: string): Promise<void> {
    const created = await app.postTicket({ nationalId, queueType: 'CAJA', ...(telefono ? { telefono } : {}) });
    expect(created.status).toBe(201);
    const status = await admin(app, `/api/admin/advisors/${carlosId}/status`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'AVAILABLE' }),
    });
    expect(status.status).toBe(200);
    await expect
      .poll(async () => (await app.db.query(`select 1 from ticket where status = 'ATENDIENDO'`)).length)
      .toBe(1);
    expect((await admin(app, `/api/admin/advisors/${carlosId}/complete-ticket`, { method: 'PUT' })).status).toBe(200);
    await admin(app, `/api/admin/advisors/${carlosId}/status`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'OFFLINE' }),
    });
  }

  it('exports what is held about a RUT, decrypted, and audits it with the RUT masked', async () => {
    await servedTicket(person, phone);
    await app.services.customers.setRut(72001, person, 'Paula');
    await app.services.customers.setPhone(72001, phone, 'Paula');
    const response = await admin(app, `/api/admin/personas/${encodeURIComponent('10.004.201-' + person.slice(-1))}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      nationalId: person,
      telegram: [{ chatId: 72001, name: 'Paula', phone }],
      tickets: [{ numero: 'C01', queueType: 'CAJA', status: 'COMPLETADO', telefono: phone, moduleNumber: 1 }],
    });
    const [audit] = await app.db.query<{ entity_id: string; new_state: Record<string, unknown>; actor: string }>(
      `select entity_id, new_state::text as text, new_state, actor from audit_log where event_type = 'DATOS_EXPORTADOS'`,
    );
    expect(audit).toMatchObject({ entity_id: `10.***.***-${person.slice(-1)}`, actor: 'apikey' });
    expect(JSON.stringify(audit)).not.toContain(person.slice(0, 8));
  });

  it('erases the RUT and its phone: cancels the active ticket first, keeps the figures, finds nobody after', async () => {
    const stats = async () =>
      Promise.all([
        (await admin(app, '/api/admin/queues/CAJA/stats')).json(),
        (await admin(app, '/api/admin/advisors/stats')).json(),
      ]);
    const before = await stats();
    // A second, active ticket of the same person: cancelled through the ordinary flow first.
    const active = await app.postTicket({ nationalId: person, queueType: 'EMPRESAS' });
    expect(active.status).toBe(201);

    const response = await admin(app, `/api/admin/personas/${person}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ chatsUnlinked: 1, ticketsAnonymised: 2, ticketsCancelled: [active.body.numero] });

    // Statistics of the served ticket are the same (the EMPRESAS cancellation is counted where it belongs).
    expect(await stats()).toEqual(before);
    const tickets = await app.db.query<{ status: string; personal: string | null }>(
      `select status, coalesce(national_id_enc, national_id_bidx::text, telefono_enc, telefono_bidx::text) as personal from ticket order by id`,
    );
    expect(tickets).toEqual([
      { status: 'COMPLETADO', personal: null },
      { status: 'CANCELADO', personal: null },
    ]);
    expect(await app.db.query(`select 1 from telegram_customer where chat_id = 72001`)).toEqual([]);
    const cancelAudit = await app.db.query(`select 1 from audit_log where event_type = 'TICKET_CANCELADO'`);
    expect(cancelAudit).toHaveLength(1);
    const [erased] = await app.db.query<{ entity_id: string; new_state: Record<string, unknown> }>(
      `select entity_id, new_state from audit_log where event_type = 'DATOS_ELIMINADOS'`,
    );
    expect(erased).toMatchObject({ entity_id: `10.***.***-${person.slice(-1)}`, new_state: { chatsDesvinculados: 1, ticketsAnonimizados: 2 } });

    // Nobody to find any more, by RUT or by phone.
    const again = await admin(app, `/api/admin/personas/${person}`);
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'PERSONA_NO_ENCONTRADA' });
    expect(await app.db.query(`select 1 from ticket where telefono_bidx = $1`, [sealedPhone(app, phone)[1]])).toEqual([]);
    // The person may come back as a new customer.
    const back = await app.postTicket({ nationalId: person, queueType: 'CAJA' });
    expect(back.status).toBe(201);
    expect((await app.request(`/api/tickets/${String(back.body.identificador)}/cancel`, { method: 'POST' })).status).toBe(200);
  });

  it('refuses to erase a person being served at the desk (409), and erases nothing', async () => {
    const served = rut(4202);
    expect((await app.postTicket({ nationalId: served, queueType: 'CAJA' })).status).toBe(201);
    await admin(app, `/api/admin/advisors/${carlosId}/status`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'AVAILABLE' }),
    });
    await expect.poll(async () => (await app.db.query(`select 1 from ticket where status = 'ATENDIENDO'`)).length).toBe(1);
    // At the desk (Llegó): no longer a walkout that cancelling could turn the ticket into (SPEC §12).
    expect((await admin(app, `/api/admin/advisors/${carlosId}/arrived`, { method: 'POST' })).status).toBe(200);
    const refused = await admin(app, `/api/admin/personas/${served}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'TICKET_NO_CANCELABLE' });
    expect(await app.db.query(`select 1 from ticket where national_id_bidx = $1`, [rutIndex(app, served)])).toHaveLength(1);
    expect((await admin(app, `/api/admin/advisors/${carlosId}/complete-ticket`, { method: 'PUT' })).status).toBe(200);
    expect((await admin(app, `/api/admin/personas/${served}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('lists both endpoints in the OpenAPI document', async () => {
    const openapi = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(openapi.paths['/api/admin/personas/{rut}'] ?? {})).toEqual(['get', 'delete']);
  });

  it('answers a bad RUT with 400 and an unknown one with 404; never logs the RUT of the path', async () => {
    const bad = await admin(app, '/api/admin/personas/12345678-9');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { rut: expect.stringMatching(/dígito/) } });
    const unknown = await admin(app, `/api/admin/personas/${rut(4299)}`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'PERSONA_NO_ENCONTRADA' });
    // The kiosk's key is no supervisor's.
    expect((await app.request(`/api/admin/personas/${rut(4299)}`)).status).toBe(403);
    expect((await fetch(`${app.url}/api/admin/personas/${rut(4299)}`)).status).toBe(401);
    const text = logs.lines.join('');
    expect(text).toContain('/api/admin/personas/[oculto]');
    for (const body of ['10004201', '10004202', '10004299', '12345678']) expect(text).not.toContain(body);
  });
});

describe('keys that do not match the data, and values that cannot be read', () => {
  let db: TestDatabase;
  let app: TestApp;
  let logs: ReturnType<typeof captureLogs>;
  const person = rut(4301);

  beforeAll(async () => {
    db = await createEmptyDatabase();
    logs = captureLogs();
    app = await startTestApp({}, { db, logger: logs.logger });
    await app.db.query(`update advisor set status = 'OFFLINE'`);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('refuses to start with a blind-index key other than the data’s, naming BLIND_INDEX_KEY', async () => {
    await expect(startTestApp({ BLIND_INDEX_KEY: generateKeyEnv().BLIND_INDEX_KEY }, { db })).rejects.toThrow(
      /^BLIND_INDEX_KEY no es la clave con que se crearon los índices ciegos/,
    );
  });

  it('refuses to start without the key the data was encrypted with, or with other bytes under its id', async () => {
    await expect(startTestApp({ DATA_ENCRYPTION_KEYS: generateKeyEnv('otra').DATA_ENCRYPTION_KEYS }, { db })).rejects.toThrow(
      /^DATA_ENCRYPTION_KEYS no incluye la clave "test"/,
    );
    await expect(startTestApp({ DATA_ENCRYPTION_KEYS: generateKeyEnv('test').DATA_ENCRYPTION_KEYS }, { db })).rejects.toThrow(
      /^DATA_ENCRYPTION_KEYS: la clave "test" no es la que cifró los datos/,
    );
  });

  it('answers DATO_CIFRADO_ILEGIBLE for a value under an unknown key id or tampered, logs the key id only, keeps serving', async () => {
    const created = await app.postTicket({ nationalId: person, telefono: '+56944445555', queueType: 'CAJA' });
    expect(created.status).toBe(201);
    const [row] = await db.query<{ telefono_enc: string }>(`select telefono_enc from ticket`);
    const foreign = cipherFor(generateKeyEnv('perdida')).encrypt('phone', '+56944445555');
    await db.query(`update ticket set telefono_enc = $1`, [foreign]);

    const unknownKey = await admin(app, `/api/admin/personas/${person}`);
    expect(unknownKey.status).toBe(500);
    expect(await unknownKey.json()).toMatchObject({ error: 'DATO_CIFRADO_ILEGIBLE', keyId: 'perdida', motivo: 'CLAVE_DESCONOCIDA' });

    const body = Buffer.from(row!.telefono_enc.split(':')[2]!, 'base64url');
    body[20] = body[20]! ^ 0xff;
    await db.query(`update ticket set telefono_enc = $1`, [`v1:test:${body.toString('base64url')}`]);
    const tampered = await admin(app, `/api/admin/personas/${person}`);
    expect(tampered.status).toBe(500);
    expect(await tampered.json()).toMatchObject({ error: 'DATO_CIFRADO_ILEGIBLE', keyId: 'test', motivo: 'AUTENTICACION_FALLIDA' });

    // A view with a masked RUT shows the damaged row as such, the others as usual.
    await db.query(`update ticket set national_id_enc = $1`, [cipherFor(generateKeyEnv('perdida')).encrypt('rut', person)]);
    await app.postTicket({ nationalId: rut(4302), queueType: 'CAJA' });
    const line = (await (await admin(app, '/api/admin/queues/CAJA')).json()) as { tickets: Array<{ nationalId: string }> };
    expect(line.tickets.map((t) => t.nationalId)).toEqual(['RUT ilegible', `10.***.***-${rut(4302).slice(-1)}`]);

    expect((await app.request('/api/health')).status).toBe(200);
    const logged = logs.lines.filter((l) => l.includes('DATO_CIFRADO_ILEGIBLE')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.keyId)).toEqual(expect.arrayContaining(['perdida', 'test']));
    const text = logs.lines.join('');
    expect(text).not.toContain(foreign.split(':')[2]!);
    expect(text).not.toContain(body.toString('base64url'));
    expect(text).not.toContain('44445555');
  });
});

describe('npm run rotate-keys', () => {
  let db: TestDatabase;
  const rotated = { ...TEST_PERSONAL_DATA_KEYS, DATA_ENCRYPTION_KEYS: `${generateKeyEnv('nueva').DATA_ENCRYPTION_KEYS},${TEST_PERSONAL_DATA_KEYS.DATA_ENCRYPTION_KEYS}` };

  beforeAll(async () => {
    db = await createEmptyDatabase();
    const app = await startTestApp({}, { db });
    // 1,500 tickets (half with a phone) and 20 chats under the old key.
    const n = 1500;
    const ruts = Array.from({ length: n }, (_, i) => sealedRut(app, rut(50_000 + i)));
    const phones = Array.from({ length: n }, (_, i) => (i % 2 ? sealedPhone(app, `+5699${String(i).padStart(7, '0')}`) : [null, null]));
    await db.query(
      `insert into ticket (codigo_referencia, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx,
         branch_office, queue_type, status, position_in_queue, estimated_wait_minutes, service_date)
       select gen_random_uuid(), 'P' || i, r, rb, p, pb, 'Sucursal Centro', 'PERSONAL_BANKER', 'COMPLETADO', 0, 0, current_date
       from unnest($1::text[], $2::bytea[], $3::text[], $4::bytea[]) with ordinality as v(r, rb, p, pb, i)`,
      [ruts.map((r) => r[0]), ruts.map((r) => r[1]), phones.map((p) => p[0]), phones.map((p) => p[1])],
    );
    for (let i = 0; i < 20; i++) await app.services.customers.setRut(73_000 + i, rut(50_000 + i), null);
    await app.close();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  const keyIds = async (): Promise<Record<string, number>> => {
    const rows = await db.query<{ k: string; n: number }>(
      `select split_part(v, ':', 2) as k, count(*)::int as n from (
         select national_id_enc as v from ticket union all select telefono_enc from ticket
         union all select national_id_enc from telegram_customer union all select phone_enc from telegram_customer) x
       where v is not null group by 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.k, r.n]));
  };

  it('resumes after being stopped half-way, online, and loses nothing', async () => {
    const app = await startTestApp(rotated, { db });
    try {
      // Stopped after the batch that passes 300 values: every value is under one key or the other.
      await expect(
        rotateKeys(app.sql, app.personalData, createLogger('silent'), {
          batchSize: 100,
          afterBatch: (done) => {
            if (done >= 300) throw new Error('detenido a mitad de camino');
          },
        }),
      ).rejects.toThrow('detenido');
      const half = await keyIds();
      expect(half.nueva).toBe(300);
      expect(half.test).toBe(1500 + 750 + 20 - 300);

      // Run again while the kiosk keeps taking numbers: it finishes, everything under the new key.
      const [result, ...kiosk] = await Promise.all([
        rotateKeys(app.sql, app.personalData, createLogger('silent'), { batchSize: 100 }),
        ...Array.from({ length: 10 }, (_, i) => app.postTicket({ nationalId: rut(60_000 + i), telefono: '+56977776666', queueType: 'CAJA' })),
      ]);
      expect(kiosk.map((k) => k.status)).toEqual(Array(10).fill(201));
      expect(result).toMatchObject({ remaining: 0, retiredKeys: ['test'] });
      expect(await keyIds()).toEqual({ nueva: 1500 + 750 + 20 + 20 });
      const sample = await db.query<{ national_id_enc: string }>(`select national_id_enc from ticket order by id limit 1`);
      expect(app.personalData.decrypt('rut', sample[0]!.national_id_enc)).toBe(rut(50_000));
    } finally {
      await app.close();
    }
    // The old key may now leave DATA_ENCRYPTION_KEYS.
    const onlyNew = await startTestApp({ DATA_ENCRYPTION_KEYS: rotated.DATA_ENCRYPTION_KEYS.split(',')[0]! }, { db });
    await onlyNew.close();
  });

  it('is killed half-way as a real process (SIGKILL), run again, and every value reads under the newest key', async () => {
    const newest = { ...rotated, DATA_ENCRYPTION_KEYS: `${generateKeyEnv('ultima').DATA_ENCRYPTION_KEYS},${rotated.DATA_ENCRYPTION_KEYS.split(',')[0]}` };
    const run = () =>
      spawn(process.execPath, ['--import', 'tsx', 'src/modules/privacy/rotate-cli.ts'], {
        cwd: root,
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, LOG_LEVEL: 'silent', ROTATE_BATCH_SIZE: '5', ...newest },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const first = run();
    const exited = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    await expect.poll(async () => (await keyIds()).ultima ?? 0, { timeout: 20_000, interval: 10 }).toBeGreaterThan(0);
    first.kill('SIGKILL');
    await exited;
    const cipher = cipherFor(newest);
    // Killed mid-run: each value is under the old key or the new one, and every one of them reads.
    const readAll = async (): Promise<void> => {
      const tickets = await db.query<{ national_id_enc: string; telefono_enc: string | null }>(`select national_id_enc, telefono_enc from ticket`);
      for (const t of tickets) {
        expect(cipher.decrypt('rut', t.national_id_enc)).toMatch(/^\d{8}-[\dK]$/);
        if (t.telefono_enc) expect(cipher.decrypt('phone', t.telefono_enc)).toMatch(/^\+569\d{8}$/);
      }
    };
    await readAll();
    const partial = await keyIds();
    expect(partial.ultima).toBeGreaterThan(0);
    expect(partial.nueva).toBeGreaterThan(0);
    const second = run();
    expect(await new Promise<number | null>((resolve) => second.on('exit', (code) => resolve(code)))).toBe(0);
    expect(Object.keys(await keyIds())).toEqual(['ultima']);
    await readAll();
  }, 60_000);
});
