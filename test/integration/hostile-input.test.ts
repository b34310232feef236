import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { KIOSK_KEY, startTestApp, TEST_PERSONAL_DATA_KEYS, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const SQL = "'; drop table ticket; --";
const FIELDS = ['nationalId', 'telefono', 'branchOffice', 'queueType'] as const;
/** A request that would be accepted: every case below spoils it in one way. */
const VALID = { nationalId: rut(1), telefono: '+56912345678', branchOffice: 'Sucursal Centro', queueType: 'CAJA' };

interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

async function send(path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await app.request(path, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body, text };
}

/**
 * A POST on its own connection (no keep-alive pool): the server answers an oversized body before
 * reading it and may then drop the socket, which must not spill into the other requests.
 */
function postAlone(chunks: string[], headers: Record<string, string>): Promise<Answer> {
  const url = new URL('/api/tickets', app.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KIOSK_KEY}`, 'content-type': 'application/json', connection: 'close', ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          answered = true;
          const text = Buffer.concat(parts).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text) as unknown;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body, text });
        });
      },
    );
    // Once the answer is in, a reset of the rest of the upload is expected.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const post = (body: RequestInit['body'], contentType: string | null = 'application/json'): Promise<Answer> =>
  send('/api/tickets', { method: 'POST', headers: contentType === null ? {} : { 'content-type': contentType }, body });

/** A client error, as JSON with a string `error`, and no trace of the server's insides. */
function expectClientError(answer: Answer, status?: number): Record<string, unknown> {
  expect(answer.status, answer.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
  if (status !== undefined) expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.contentType).toMatch(/^application\/json/);
  expect(typeof answer.body === 'object' && answer.body !== null && !Array.isArray(answer.body)).toBe(true);
  const body = answer.body as Record<string, unknown>;
  expect(typeof body.error).toBe('string');
  expect(answer.text).not.toMatch(/\bat .+:\d+:\d+|node_modules|stack|syntax error at|relation "/i);
  return body;
}

/** The body as JSON text; `undefined` values are dropped, so a case can remove a field. */
const json = (value: unknown): string => JSON.stringify(value);

interface Case {
  name: string;
  body: string;
  /** The field named in `campos` (400 VALIDACION_FALLIDA), when there is one. */
  field?: string;
  status?: number;
}

const wrongTypes: Case[] = FIELDS.flatMap((field) =>
  (
    [
      ['a number', 12345678],
      ['a negative number', -1],
      ['a huge number', 1e308],
      ['an array', ['12.345.678-5']],
      ['an empty array', []],
      ['an object', { value: '12.345.678-5' }],
      ['a nested object', JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200)) as unknown],
      ['true', true],
      ['false', false],
      // null is how a client says "no phone" or "default branch", so only the required fields refuse it.
      ...(field === 'nationalId' || field === 'queueType' ? [['null', null] as const] : []),
    ] as const
  ).map(([label, value]) => ({ name: `${field} as ${label}`, body: json({ ...VALID, [field]: value }), field, status: 400 })),
);

const hugeStrings: Case[] = [
  { name: 'a 10 KB RUT', body: json({ ...VALID, nationalId: '1'.repeat(10 * 1024) }), field: 'nationalId', status: 400 },
  { name: 'a 10 KB dotted RUT', body: json({ ...VALID, nationalId: '123.'.repeat(2560) + '-5' }), field: 'nationalId', status: 400 },
  { name: 'a 10 KB phone', body: json({ ...VALID, telefono: '+56' + '9'.repeat(10 * 1024) }), field: 'telefono', status: 400 },
  { name: 'a 15 KB branch', body: json({ ...VALID, branchOffice: 'S'.repeat(15 * 1024) }), field: 'branchOffice', status: 400 },
  { name: 'a 10 KB queue type', body: json({ ...VALID, queueType: 'CAJA'.repeat(2560) }), field: 'queueType', status: 400 },
  { name: 'a 10 KB field name', body: json({ ...VALID, ['x'.repeat(10 * 1024)]: 1 }), field: 'x'.repeat(50), status: 400 },
  {
    name: 'a thousand unknown fields',
    body: json({ ...VALID, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, 1])) }),
    status: 400,
  },
];

const sqlFragments: Case[] = [
  ...FIELDS.map((field) => ({ name: `SQL in ${field}`, body: json({ ...VALID, [field]: SQL }), field, status: 400 })),
  { name: 'SQL in every field', body: json({ nationalId: SQL, telefono: SQL, branchOffice: SQL, queueType: SQL }), status: 400 },
  { name: 'SQL as a field name', body: json({ ...VALID, [SQL]: SQL }), field: SQL, status: 400 },
  { name: 'a UNION in the branch', body: json({ ...VALID, branchOffice: "x' union select national_id from ticket --" }), field: 'branchOffice', status: 400 },
  { name: 'a stacked query in the RUT', body: json({ ...VALID, nationalId: '1-9; delete from ticket' }), field: 'nationalId', status: 400 },
];

const strangeCharacters: Case[] = [
  { name: 'full-width digits in the RUT', body: json({ ...VALID, nationalId: '１２.３４５.６７８-５' }), field: 'nationalId', status: 400 },
  { name: 'an emoji RUT', body: json({ ...VALID, nationalId: '🎫🎫🎫-5' }), field: 'nationalId', status: 400 },
  { name: 'an RTL override in the RUT', body: json({ ...VALID, nationalId: '\u202e5-87654321' }), field: 'nationalId', status: 400 },
  { name: 'a zero-width space in the RUT', body: json({ ...VALID, nationalId: '12345678\u200b-5' }), field: 'nationalId', status: 400 },
  { name: 'a NUL in the RUT', body: json({ ...VALID, nationalId: '12345678-5\u0000' }), field: 'nationalId', status: 400 },
  { name: 'a NUL in the phone', body: json({ ...VALID, telefono: '+56912345678\u0000' }), field: 'telefono', status: 400 },
  { name: 'Arabic-Indic digits in the phone', body: json({ ...VALID, telefono: '+56٩١٢٣٤٥٦٧٨' }), field: 'telefono', status: 400 },
  { name: 'a NUL in the queue type', body: json({ ...VALID, queueType: 'CAJA\u0000' }), field: 'queueType', status: 400 },
  { name: 'a full-width queue type', body: json({ ...VALID, queueType: 'ＣＡＪＡ' }), field: 'queueType', status: 400 },
  { name: 'a Turkish dotted İ in the queue type', body: json({ ...VALID, queueType: 'GERENCİA' }), field: 'queueType', status: 400 },
  { name: 'an emoji branch', body: json({ ...VALID, branchOffice: 'Sucursal 🏦' }), field: 'branchOffice', status: 400 },
  { name: 'an RTL branch', body: json({ ...VALID, branchOffice: '\u202eortneC lasrucuS' }), field: 'branchOffice', status: 400 },
  { name: 'an Arabic branch', body: json({ ...VALID, branchOffice: 'فرع المركز' }), field: 'branchOffice', status: 400 },
  { name: 'a lone surrogate in the branch', body: '{"nationalId":"12345678-5","branchOffice":"\\ud800","queueType":"CAJA"}', field: 'branchOffice', status: 400 },
  { name: 'a NUL in the branch', body: json({ ...VALID, branchOffice: 'Sucursal\u0000Centro' }), field: 'branchOffice', status: 400 },
  { name: 'only a NUL as the branch', body: json({ ...VALID, branchOffice: '\u0000' }), field: 'branchOffice', status: 400 },
  { name: 'control characters in the branch', body: json({ ...VALID, branchOffice: '\u0001\u0007\u001b[31m' }), field: 'branchOffice', status: 400 },
];

const missingAndExtra: Case[] = [
  { name: 'an empty object', body: '{}', field: 'nationalId', status: 400 },
  { name: 'no RUT', body: json({ ...VALID, nationalId: undefined }), field: 'nationalId', status: 400 },
  { name: 'no queue type', body: json({ ...VALID, queueType: undefined }), field: 'queueType', status: 400 },
  { name: 'only a phone', body: json({ telefono: VALID.telefono }), field: 'nationalId', status: 400 },
  { name: 'an extra status', body: json({ ...VALID, status: 'ATENDIENDO' }), field: 'status', status: 400 },
  { name: 'an extra id', body: json({ ...VALID, id: 1, numero: 'C01' }), field: 'id', status: 400 },
  { name: '__proto__', body: `{"__proto__":{"isAdmin":true},${json(VALID).slice(1)}`, field: '__proto__', status: 400 },
  { name: 'constructor.prototype', body: `{"constructor":{"prototype":{"x":1}},${json(VALID).slice(1)}`, field: 'constructor', status: 400 },
  { name: 'a duplicate key, the last one bad', body: `{"queueType":"CAJA",${json(VALID).slice(1, -1)},"queueType":"VIP"}`, field: 'queueType', status: 400 },
];

const notAnObject: Case[] = [
  { name: 'malformed JSON (unclosed)', body: '{', field: 'cuerpo', status: 400 },
  { name: 'malformed JSON (missing value)', body: '{"nationalId": }', field: 'cuerpo', status: 400 },
  { name: 'malformed JSON (single quotes)', body: "{'nationalId':'12345678-5'}", field: 'cuerpo', status: 400 },
  { name: 'malformed JSON (trailing comma)', body: `${json(VALID).slice(0, -1)},}`, field: 'cuerpo', status: 400 },
  { name: 'malformed JSON (garbage after)', body: `${json(VALID)}garbage`, field: 'cuerpo', status: 400 },
  { name: 'two JSON objects', body: `${json(VALID)}${json(VALID)}`, field: 'cuerpo', status: 400 },
  { name: 'JSON with a comment', body: `/* hi */${json(VALID)}`, field: 'cuerpo', status: 400 },
  { name: 'NaN', body: 'NaN', field: 'cuerpo', status: 400 },
  { name: 'a NUL byte', body: '\u0000', field: 'cuerpo', status: 400 },
  { name: 'invalid UTF-8 text', body: '{"nationalId":"\udcff"', field: 'cuerpo', status: 400 },
  { name: 'an empty body', body: '', field: 'cuerpo', status: 400 },
  { name: 'whitespace only', body: ' \n\t ', field: 'cuerpo', status: 400 },
  { name: 'JSON null', body: 'null', field: 'cuerpo', status: 400 },
  { name: 'JSON true', body: 'true', field: 'cuerpo', status: 400 },
  { name: 'a JSON array', body: '[]', field: 'cuerpo', status: 400 },
  { name: 'a JSON array holding a valid request', body: `[${json(VALID)}]`, field: 'cuerpo', status: 400 },
  { name: 'a JSON string', body: '"12.345.678-5"', field: 'cuerpo', status: 400 },
  { name: 'a JSON string holding a valid request', body: json(json(VALID)), field: 'cuerpo', status: 400 },
  { name: 'a JSON number', body: '42', field: 'cuerpo', status: 400 },
  { name: 'deeply nested arrays', body: '['.repeat(5000) + ']'.repeat(5000), field: 'cuerpo', status: 400 },
];

describe('POST /api/tickets with hostile bodies', () => {
  const groups: [string, Case[]][] = [
    ['wrong types', wrongTypes],
    ['huge strings', hugeStrings],
    ['SQL fragments', sqlFragments],
    ['unicode, RTL and NUL', strangeCharacters],
    ['missing and extra fields', missingAndExtra],
    ['bodies that are not a JSON object', notAnObject],
  ];

  for (const [group, cases] of groups) {
    describe(group, () => {
      it.each(cases)('answers $name with a JSON 4xx', async ({ body, field, status }) => {
        const answer = await post(body);
        const error = expectClientError(answer, status);
        if (status === 400) {
          expect(error.error).toBe('VALIDACION_FALLIDA');
          expect(typeof error.campos).toBe('object');
          for (const message of Object.values(error.campos as Record<string, unknown>)) expect(typeof message).toBe('string');
          if (field) expect(Object.keys(error.campos as Record<string, unknown>)).toContain(field);
        }
      });
    });
  }

  it('answers a body over 16 KiB with 413', async () => {
    const body = json({ ...VALID, branchOffice: 'x'.repeat(17 * 1024) });
    const error = expectClientError(await postAlone([body], { 'content-length': String(Buffer.byteLength(body)) }), 413);
    expect(error.error).toBe('CUERPO_DEMASIADO_GRANDE');
  });

  it('answers a body of 16 KiB + 1 byte with 413, and one of exactly 16 KiB without it', async () => {
    const base = json({ ...VALID, branchOffice: '' });
    const padded = (size: number) => base.slice(0, -1) + ' '.repeat(size - Buffer.byteLength(base)) + '}';
    const over = padded(16 * 1024 + 1);
    const at = padded(16 * 1024);
    expect(Buffer.byteLength(over)).toBe(16 * 1024 + 1);
    expectClientError(await postAlone([over], { 'content-length': String(Buffer.byteLength(over)) }), 413);
    // Exactly at the limit the body is read: an empty branch is a validation error, not 413.
    expectClientError(await postAlone([at], { 'content-length': String(Buffer.byteLength(at)) }), 400);
  });

  it('answers a 1 MiB body with 413', async () => {
    const body = '{"a":"' + 'x'.repeat(1024 * 1024) + '"}';
    const error = expectClientError(await postAlone([body], { 'content-length': String(Buffer.byteLength(body)) }), 413);
    expect(error.error).toBe('CUERPO_DEMASIADO_GRANDE');
  });

  it('answers a chunked body over 16 KiB (no Content-Length) with 413', async () => {
    const chunks = ['{"nationalId":"', ...Array.from({ length: 8 }, () => 'x'.repeat(4096)), '"}'];
    const error = expectClientError(await postAlone(chunks, {}), 413);
    expect(error.error).toBe('CUERPO_DEMASIADO_GRANDE');
  });

  it.each([
    ['text/plain', json(VALID)],
    ['application/x-www-form-urlencoded', 'nationalId=12345678-5&queueType=CAJA'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="nationalId"\r\n\r\n12345678-5\r\n--x--'],
    ['application/xml', '<ticket><nationalId>12345678-5</nationalId></ticket>'],
    ['application/jsonx', json(VALID)],
    ['json', json(VALID)],
    [null, json(VALID)],
  ])('refuses content type %j with 415', async (contentType, body) => {
    const error = expectClientError(await post(body, contentType), 415);
    expect(error.error).toBe('TIPO_CONTENIDO_NO_SOPORTADO');
  });

  it('refuses hostile bodies without the key before reading them', async () => {
    const answer = await send('/api/tickets', {
      method: 'POST',
      headers: { authorization: `Bearer ${SQL}`, 'content-type': 'application/json' },
      body: json({ ...VALID, nationalId: SQL }),
    });
    expect(expectClientError(answer, 401).error).toBe('NO_AUTORIZADO');
    const wrongScheme = await send('/api/tickets', {
      method: 'POST',
      headers: { authorization: `Basic ${KIOSK_KEY}`, 'content-type': 'application/json' },
      body: json(VALID),
    });
    expect(expectClientError(wrongScheme, 401).error).toBe('NO_AUTORIZADO');
  });

  it('leaves the ticket table in place and empty', async () => {
    const [table] = await app.db.query<{ exists: string | null }>(`select to_regclass('public.ticket')::text as exists`);
    expect(table!.exists).toBe('ticket');
    const [counts] = await app.db.query<{ tickets: number; mensajes: number; counters: number }>(
      `select (select count(*)::int from ticket) as tickets, (select count(*)::int from mensaje) as mensajes,
              (select count(*)::int from ticket_daily_counter) as counters`,
    );
    expect(counts).toEqual({ tickets: 0, mensajes: 0, counters: 0 });
  });

  it('still works for a valid request afterwards', async () => {
    const { status, body } = await app.postTicket({ ...VALID, nationalId: rut(2) });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ queueType: 'CAJA', branchOffice: 'Sucursal Centro' });
    await clearTickets();
  });
});

async function clearTickets(): Promise<void> {
  await app.db.query('delete from mensaje');
  await app.db.query('delete from ticket');
  await app.db.query('delete from ticket_daily_counter');
}

describe('hostile path parameters', () => {
  // Starts from an empty table even if a hostile body above got through.
  beforeAll(clearTickets);

  const enc = encodeURIComponent;
  /** Raw path segments, already as they go on the wire. */
  const HOSTILE_SEGMENTS: [string, string][] = [
    ['not a UUID', 'not-a-uuid'],
    ['SQL', enc(SQL)],
    ['SQL after a UUID', enc(`0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11' or '1'='1`)],
    ['a UUID with junk after it', '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11x'],
    ['an encoded NUL', '%00'],
    ['a UUID followed by an encoded NUL', '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11%00'],
    ['an RTL override', enc('\u202e11a9f3c8b2f2')],
    ['an emoji', enc('🎫')],
    ['a broken percent escape', '%zz'],
    ['a lone percent', '%'],
    ['an overlong UTF-8 escape', '%C0%AE%C0%AE'],
    ['an encoded slash', '..%2F..%2Fetc%2Fpasswd'],
    ['a 10 KB segment', 'a'.repeat(10 * 1024)],
    ['a number', '1'],
    ['a negative number', '-1'],
  ];

  it.each(HOSTILE_SEGMENTS)('GET /api/tickets/:codigo with %s answers a JSON 4xx', async (_label, segment) => {
    expectClientError(await send(`/api/tickets/${segment}`));
  });

  it.each(HOSTILE_SEGMENTS)('POST /api/tickets/:codigo/cancel with %s answers a JSON 4xx', async (_label, segment) => {
    expectClientError(await send(`/api/tickets/${segment}/cancel`, { method: 'POST' }));
  });

  it.each([
    ...HOSTILE_SEGMENTS,
    ['a number too long for any queue', 'C999999999'],
    ['a lower-case number that does not exist', 'c77'],
    ['a number with spaces', enc(' C01 ')],
    ['a full-width number', enc('Ｃ01')],
  ] as [string, string][])('GET /api/tickets/:numero/position with %s answers a JSON 4xx', async (_label, segment) => {
    expectClientError(await send(`/api/tickets/${segment}/position`));
  });

  it.each([
    ['SQL', enc(SQL)],
    ['an encoded NUL', 'Sucursal%00Centro'],
    ['an emoji', enc('🏦')],
    ['a 10 KB branch', 'b'.repeat(10 * 1024)],
    ['a broken percent escape', '%zz'],
    ['a repeated parameter', `Sucursal%20Centro&branchOffice=${enc(SQL)}`],
  ])('GET /api/tickets/C77/position?branchOffice= with %s answers a JSON 4xx', async (_label, query) => {
    expectClientError(await send(`/api/tickets/C77/position?branchOffice=${query}`));
  });

  it('answers an unknown but well-formed reference with 404', async () => {
    const ref = '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11';
    expect(expectClientError(await send(`/api/tickets/${ref}`), 404).error).toBe('TICKET_NO_ENCONTRADO');
    expectClientError(await send(`/api/tickets/${ref.toUpperCase()}/cancel`, { method: 'POST' }), 404);
  });

  it('answers a hostile body on cancel without caring about it', async () => {
    const ref = '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11';
    const answer = await send(`/api/tickets/${ref}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"status":"${SQL}"`,
    });
    expectClientError(answer, 404);
  });

  it('leaves the ticket table in place and empty', async () => {
    const [row] = await app.db.query<{ n: number }>('select count(*)::int as n from ticket');
    expect(row!.n).toBe(0);
  });
});

describe('what hostile requests leave in the logs', () => {
  const lines: string[] = [];
  let logged: RunningApp;

  beforeAll(async () => {
    // A second instance of the real app on the same database, its log captured in memory.
    const destination = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: app.db.url,
      HOST: '127.0.0.1',
      PORT: '0',
      KIOSK_API_KEY: KIOSK_KEY,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'debug',
      ...TEST_PERSONAL_DATA_KEYS,
    });
    logged = await startApp(config, { logger: createLogger('debug', destination) });
  });
  afterAll(async () => {
    await logged?.stop();
    await clearTickets();
  });

  it('never contains a whole RUT or phone, whatever the request did', async () => {
    const nationalId = rut(3);
    const telefono = '+56987654321';
    const bodies = [
      { nationalId, telefono, queueType: 'CAJA', branchOffice: SQL },
      { nationalId, telefono, queueType: 'CAJA', branchOffice: 'Sucursal\u0000Centro' },
      { nationalId, telefono, queueType: 'VIP' },
      { nationalId, telefono, queueType: 'CAJA' },
      { nationalId, telefono, queueType: 'CAJA' }, // 409: already active
    ];
    for (const body of bodies) {
      await fetch(`${logged.url}/api/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KIOSK_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    await fetch(`${logged.url}/api/tickets/C01/position?branchOffice=${encodeURIComponent('Sucursal\u0000Centro')}`, {
      headers: { authorization: `Bearer ${KIOSK_KEY}` },
    });
    const text = lines.join('');
    expect(text).toContain('"path":"/api/tickets"');
    expect(text).not.toContain(nationalId);
    expect(text).not.toContain(nationalId.slice(0, 8));
    expect(text).not.toContain(telefono);
    expect(text).not.toContain(telefono.slice(3));
  });
});
