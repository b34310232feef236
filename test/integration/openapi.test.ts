/**
 * The OpenAPI document (GET /openapi.json) is generated from the routes' zod schemas (merged with
 * the hand-written part of the routes not yet migrated). These tests hold it to the app: every
 * route the app serves is documented with its method, and real answers of key endpoints validate
 * against the response schemas the document gives for them (read back from the document itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADMIN_KEY, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

type Json = Record<string, unknown>;
interface Document {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  components: { schemas: Record<string, Json> };
}

let app: TestApp;
let doc: Document;

beforeAll(async () => {
  app = await startTestApp();
  doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as Document;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** The document's JSON Schema with every `#/components/schemas/…` reference inlined. */
function inline(schema: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((item) => inline(item, seen));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref) {
    const name = ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) throw new Error(`recursive schema ${name}`);
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`${ref} is not in the document`);
    return inline(target, [...seen, name]);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inline(value, seen)]));
}

/** The real answer against the schema the document gives for this path, method and status. */
function expectDocumented(path: string, method: string, status: number, body: unknown): void {
  const schema = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
  expect(schema, `${method.toUpperCase()} ${path} ${status} has a JSON schema`).toBeDefined();
  const check = z.fromJSONSchema(inline(schema) as Parameters<typeof z.fromJSONSchema>[0]).safeParse(body);
  expect(check.success ? [] : check.error.issues, `${method.toUpperCase()} ${path} ${status}`).toEqual([]);
}

describe('GET /openapi.json', () => {
  it('documents every route the app serves, with its method', () => {
    expect(doc.openapi).toBe('3.1.0');
    const missing = app.routes
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, '{$1}') }))
      .filter((r) => !doc.paths[r.path]?.[r.method])
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
    expect(app.routes.length).toBeGreaterThan(80);
  });

  it('gives no operation for a route the app does not serve (no stale entries)', () => {
    const served = new Set(app.routes.map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    // Served only in some configurations: the webhook with BOT_MODE=webhook, metrics with METRICS_ENABLED.
    const conditional = new Set(['post /telegram/webhook', 'get /metrics']);
    const stale = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .map((method) => `${method} ${path}`)
        .filter((key) => !served.has(key) && !conditional.has(key)),
    );
    expect(stale).toEqual([]);
  });

  it('is generated from the schemas: the queue figures carry the no-show and cancellation rates', () => {
    const figures = doc.components.schemas.CifrasDeFila as { properties: Json; additionalProperties?: unknown };
    expect(Object.keys(figures.properties)).toEqual(expect.arrayContaining(['noShowRateToday', 'cancellationRateToday', 'serviceLevelToday']));
    expect(figures.additionalProperties).toBe(false);
  });

  it('describes the real answer of GET /api/admin/summary', async () => {
    expect((await app.postTicket({ nationalId: rut(11), queueType: 'CAJA' })).status).toBe(201);
    const response = await fetch(`${app.url}/api/admin/summary`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { branches: unknown[] };
    expect(body.branches.length).toBeGreaterThan(0);
    expectDocumented('/api/admin/summary', 'get', 200, body);
    // A drifted answer would fail: the schema is strict.
    expect(() => expectDocumented('/api/admin/summary', 'get', 200, { ...body, extra: 1 })).toThrow();
  });

  it('describes the real answers of GET /api/admin/queues/{type}/stats and /dashboard/history', async () => {
    const headers = { authorization: `Bearer ${ADMIN_KEY}` };
    const stats = await fetch(`${app.url}/api/admin/queues/caja/stats`, { headers });
    expect(stats.status).toBe(200);
    expectDocumented('/api/admin/queues/{type}/stats', 'get', 200, await stats.json());
    const history = await fetch(`${app.url}/api/admin/dashboard/history`, { headers });
    expect(history.status).toBe(200);
    expectDocumented('/api/admin/dashboard/history', 'get', 200, await history.json());
  });

  it('describes the Ticket as the kiosk gets it, with the fields that had drifted out of the hand-written one', () => {
    const ticket = doc.components.schemas.Ticket as { properties: Json; required?: string[] };
    for (const field of ['serviceStartedAt', 'recallCount', 'atencionPreferente']) {
      expect(Object.keys(ticket.properties)).toContain(field);
      expect(ticket.required).toContain(field);
    }
  });

  it('describes the real answers of the kiosk: take a number, look it up, the tótem’s state, its position, cancel it', async () => {
    const kiosk = { authorization: `Bearer ${KIOSK_KEY}`, 'content-type': 'application/json' };
    const taken = await fetch(`${app.url}/api/tickets?qr=svg`, {
      method: 'POST',
      headers: kiosk,
      body: JSON.stringify({ nationalId: rut(12), queueType: 'PERSONAL_BANKER', atencionPreferente: 'TERCERA_EDAD' }),
    });
    expect(taken.status).toBe(201);
    const created = (await taken.json()) as { identificador: string; numero: string };
    expectDocumented('/api/tickets', 'post', 201, created);

    const looked = await fetch(`${app.url}/api/tickets/${created.identificador}`, { headers: kiosk });
    expect(looked.status).toBe(200);
    const ticket = (await looked.json()) as Json;
    expect(ticket).toMatchObject({ atencionPreferente: 'TERCERA_EDAD', recallCount: 0, serviceStartedAt: null });
    expectDocumented('/api/tickets/{codigoReferencia}', 'get', 200, ticket);

    const totem = await fetch(`${app.url}/api/totem/estado`, { headers: kiosk });
    expect(totem.status).toBe(200);
    expectDocumented('/api/totem/estado', 'get', 200, await totem.json());

    const position = await fetch(`${app.url}/api/tickets/${created.numero}/position`, { headers: kiosk });
    expect(position.status).toBe(200);
    expectDocumented('/api/tickets/{numero}/position', 'get', 200, await position.json());

    const cancelled = await fetch(`${app.url}/api/tickets/${created.identificador}/cancel`, { method: 'POST', headers: kiosk });
    expect(cancelled.status).toBe(200);
    expectDocumented('/api/tickets/{codigoReferencia}/cancel', 'post', 200, await cancelled.json());

    const refused = await fetch(`${app.url}/api/tickets`, { method: 'POST', headers: kiosk, body: JSON.stringify({ queueType: 'CAJA', extra: 1 }) });
    expect(refused.status).toBe(400);
    const error = await refused.json();
    expect(error).toEqual({
      error: 'VALIDACION_FALLIDA',
      mensaje: 'Los datos enviados no son válidos',
      campos: { nationalId: 'El RUT es obligatorio', extra: 'Campo no permitido' },
    });
    expectDocumented('/api/tickets', 'post', 400, error);
  });
});
