import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_KEY } from '../support/app.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

let t: TelegramTestApp;
let n = 0;
const nextRut = (): string => rut(9100 + ++n);

beforeAll(async () => {
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula' });
  await t.app.db.query(`update advisor set status = 'BUSY'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function kioskTicket(body: Record<string, unknown> = {}, headers: Record<string, string> = {}, query = '') {
  const response = await t.app.request(`/api/tickets${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA', ...body }),
  });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

const tokenOf = (ticket: Record<string, unknown>): string => String(ticket.telegramLink).split('?start=')[1]!;

async function linkedChat(identificador: unknown): Promise<string | null> {
  const [row] = await t.app.db.query<{ chat_id: string }>(
    `select l.chat_id from ticket_telegram_link l join ticket t on t.id = l.ticket_id where t.codigo_referencia = $1`,
    [identificador],
  );
  return row?.chat_id ?? null;
}

describe('the tótem’s QR and short code into the bot (SPEC §19)', () => {
  it('gives every kiosk ticket an opaque single-use link (≤ 64 characters of [A-Za-z0-9_-]) and a short code', async () => {
    const ticket = await kioskTicket();
    expect(ticket.telegramLink).toMatch(/^https:\/\/t\.me\/ticketero_test_bot\?start=k_[A-Za-z0-9_-]{43}$/);
    expect(tokenOf(ticket).length).toBeLessThanOrEqual(64);
    expect(tokenOf(ticket)).not.toContain(String(ticket.identificador).replaceAll('-', ''));
    expect(ticket.codigoCorto).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    // Only hashes are kept.
    const rows = await t.app.db.query<Record<string, unknown>>('select * from ticket_link_token');
    expect(JSON.stringify(rows)).not.toContain(tokenOf(ticket));
    expect(JSON.stringify(rows)).not.toContain(String(ticket.codigoCorto).replace('-', ''));
  });

  it('links the ticket to the chat that opens the QR’s link, and refuses a second use of the same token', async () => {
    const { fake } = t;
    const ticket = await kioskTicket({ telefono: '+56922223333' });
    const owner = { id: 6_100_001, first_name: 'Inés' };
    const other = { id: 6_100_002, first_name: 'Tomás' };

    let mark = fake.mark();
    fake.sendCommand(owner, '/start', tokenOf(ticket));
    await fake.waitForMessage(owner.id, new RegExp(`Vinculamos el ticket <b>${String(ticket.numero)}</b>`), { since: mark });
    // The ticket's waiting messages go out to that chat (the dispatcher's worker; slow on a loaded machine).
    await fake.waitForMessage(owner.id, /Ticket Creado/, { since: mark, timeoutMs: 30_000 });
    expect(await linkedChat(ticket.identificador)).toBe(String(owner.id));
    const [audit] = await t.app.db.query<{ actor: string; additional_data: Record<string, unknown> }>(
      `select actor, additional_data from audit_log where event_type = 'TICKET_VINCULADO' and entity_id =
         (select id::text from ticket where codigo_referencia = $1)`,
      [ticket.identificador],
    );
    expect(audit).toMatchObject({ actor: `telegram:${owner.id}`, additional_data: { via: 'QR' } });

    mark = fake.mark();
    fake.sendCommand(other, '/start', tokenOf(ticket));
    await fake.waitForMessage(other.id, /ya está vinculado a otro chat/, { since: mark });
    expect(await linkedChat(ticket.identificador)).toBe(String(owner.id));
    // The short code of the same paper is spent with it.
    mark = fake.mark();
    fake.sendCommand(other, '/turno', String(ticket.codigoCorto));
    await fake.waitForMessage(other.id, /ya está vinculado a otro chat/, { since: mark });
    expect(fake.messagesTo(other.id).some((m) => /Ticket Creado/.test(m.text ?? ''))).toBe(false);

    mark = fake.mark();
    fake.sendCommand(owner, '/start', tokenOf(ticket));
    await fake.waitForMessage(owner.id, /ya está vinculado a este chat/, { since: mark });
  });

  it('links by `/turno CODE` typed in any case, with or without the dash, once', async () => {
    const { fake } = t;
    const ticket = await kioskTicket({ queueType: 'EMPRESAS' });
    const typist = { id: 6_100_003, first_name: 'Elena' };
    const late = { id: 6_100_004, first_name: 'Pablo' };
    const typed = String(ticket.codigoCorto).replace('-', '').toLowerCase();

    let mark = fake.mark();
    fake.sendCommand(typist, '/turno', typed);
    await fake.waitForMessage(typist.id, new RegExp(`Vinculamos el ticket <b>${String(ticket.numero)}</b>`), { since: mark });
    expect(await linkedChat(ticket.identificador)).toBe(String(typist.id));

    mark = fake.mark();
    fake.sendCommand(late, '/turno', String(ticket.codigoCorto));
    await fake.waitForMessage(late.id, /ya está vinculado a otro chat/, { since: mark });
    mark = fake.mark();
    fake.sendCommand(late, '/start', tokenOf(ticket));
    await fake.waitForMessage(late.id, /ya está vinculado a otro chat/, { since: mark });
    expect(await linkedChat(ticket.identificador)).toBe(String(typist.id));
  });

  it('answers a malformed code, an unknown one and an expired one in words; `/turno` alone is still “Mi turno”', async () => {
    const { fake } = t;
    const user = { id: 6_100_005, first_name: 'Rosa' };
    let mark = fake.mark();
    fake.sendCommand(user, '/turno', '12');
    await fake.waitForMessage(user.id, /Ese código no es válido/, { since: mark });
    mark = fake.mark();
    fake.sendCommand(user, '/turno', 'ZZZZ-ZZZZ');
    await fake.waitForMessage(user.id, /No encontré ese ticket/, { since: mark });

    const ticket = await kioskTicket();
    await t.app.db.query(`update ticket_link_token set expires_at = now() at time zone 'UTC' - interval '1 minute'`);
    mark = fake.mark();
    fake.sendCommand(user, '/start', tokenOf(ticket));
    await fake.waitForMessage(user.id, /venció al terminar el día/, { since: mark });
    expect(await linkedChat(ticket.identificador)).toBeNull();

    mark = fake.mark();
    fake.sendCommand(user, '/turno');
    await fake.waitForMessage(user.id, /No tienes un turno activo/, { since: mark });
  });

  it('expires at the end of the branch’s day', async () => {
    const ticket = await kioskTicket();
    const [row] = await t.app.db.query<{ local_end: string }>(
      `select to_char(expires_at at time zone 'UTC' at time zone $1, 'HH24:MI') as local_end from ticket_link_token l
        join ticket t on t.id = l.ticket_id where t.codigo_referencia = $2`,
      [t.app.config.branchTimeZone, ticket.identificador],
    );
    expect(row!.local_end).toBe('00:00');
  });

  it('expires at the midnight of the ticket’s own branch, not of TZ_BRANCH (a branch in Pacific/Easter)', async () => {
    await t.app.db.query(
      `insert into branch (code, name, timezone) values ('HANGA-ROA', 'Sucursal Hanga Roa', 'Pacific/Easter') on conflict do nothing`,
    );
    const ticket = await kioskTicket({ branchOffice: 'Sucursal Hanga Roa' });
    const [row] = await t.app.db.query<{ easter: string; santiago: string; day_after: boolean }>(
      `select to_char(l.expires_at at time zone 'UTC' at time zone 'Pacific/Easter', 'HH24:MI') as easter,
              to_char(l.expires_at at time zone 'UTC' at time zone 'America/Santiago', 'HH24:MI') as santiago,
              (l.expires_at at time zone 'UTC' at time zone 'Pacific/Easter')::date = t.service_date + 1 as day_after
       from ticket_link_token l join ticket t on t.id = l.ticket_id where t.codigo_referencia = $1`,
      [ticket.identificador],
    );
    expect(row).toEqual({ easter: '00:00', santiago: '02:00', day_after: true });
  });

  it('gives a replayed answer a fresh token; once the ticket is linked every token of it is spent', async () => {
    const { fake } = t;
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'CAJA' };
    const first = await kioskTicket(body, { 'idempotency-key': key });
    const replay = await kioskTicket(body, { 'idempotency-key': key });
    expect(replay.identificador).toBe(first.identificador);
    expect(tokenOf(replay)).not.toBe(tokenOf(first));
    const user = { id: 6_100_006, first_name: 'Marta' };
    const intruder = { id: 6_100_007, first_name: 'Óscar' };
    let mark = fake.mark();
    fake.sendCommand(user, '/start', tokenOf(replay));
    await fake.waitForMessage(user.id, /Vinculamos el ticket/, { since: mark });
    mark = fake.mark();
    fake.sendCommand(intruder, '/start', tokenOf(first));
    await fake.waitForMessage(intruder.id, /ya está vinculado a otro chat/, { since: mark });
  });

  it('hands out no reusable link: looking a ticket up or cancelling it answers telegramLink null, never a t_ payload', async () => {
    const ticket = await kioskTicket();
    expect(tokenOf(ticket)).toMatch(/^k_/);
    const auth = { authorization: `Bearer ${KIOSK_KEY}` };
    const looked = await t.app.request(`/api/tickets/${String(ticket.identificador)}`, { headers: auth });
    expect(looked.status).toBe(200);
    const body = (await looked.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ identificador: ticket.identificador, telegramLink: null });
    expect(JSON.stringify(body)).not.toContain('start=');
    const cancelled = await t.app.request(`/api/tickets/${String(ticket.identificador)}/cancel`, { method: 'POST', headers: auth });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'CANCELADO', telegramLink: null });
  });

  it('renders the link as an SVG QR when the tótem asks (`?qr=svg`)', async () => {
    const ticket = await kioskTicket({}, {}, '?qr=svg');
    expect(String(ticket.telegramQrSvg)).toMatch(/^<svg[^>]*viewBox/);
    const plain = await kioskTicket();
    expect(plain).not.toHaveProperty('telegramQrSvg');
  });

  it('links nothing with the old reusable `t_<reference>` payload: a ticket\'s reference is not a proof (SPEC §19, §22)', async () => {
    const { fake } = t;
    const ticket = await kioskTicket();
    const stranger = { id: 6_100_777, first_name: 'Rosa' };
    const mark = fake.mark();
    fake.sendCommand(stranger, '/start', `t_${String(ticket.identificador).replaceAll('-', '')}`);
    await fake.waitForMessage(stranger.id, /No encontré ese ticket/, { since: mark });
    expect(await linkedChat(ticket.identificador)).toBeNull();
    // The ticket's own single-use token still works for whoever holds the paper.
    const holder = { id: 6_100_778, first_name: 'Luis' };
    const next = fake.mark();
    fake.sendCommand(holder, '/start', tokenOf(ticket));
    await fake.waitForMessage(holder.id, new RegExp(`Vinculamos el ticket <b>${String(ticket.numero)}</b>`), { since: next });
    expect(await linkedChat(ticket.identificador)).toBe(String(holder.id));
  });

  it('two chats racing for one paper: the database lets exactly one link it', async () => {
    const { fake } = t;
    const ticket = await kioskTicket();
    const racers = [6_100_010, 6_100_011, 6_100_012].map((id) => ({ id, first_name: `R${id}` }));
    const mark = fake.mark();
    for (const racer of racers) fake.sendCommand(racer, '/start', tokenOf(ticket));
    const answers = await Promise.all(
      racers.map((r) => fake.waitForMessage(r.id, /Vinculamos el ticket|ya está vinculado a otro chat/, { since: mark })),
    );
    expect(answers.filter((m) => /Vinculamos/.test(m.text ?? ''))).toHaveLength(1);
    const winner = racers[answers.findIndex((m) => /Vinculamos/.test(m.text ?? ''))]!;
    expect(await linkedChat(ticket.identificador)).toBe(String(winner.id));
  });
});

describe('without Telegram', () => {
  it('answers no link and no code (nothing to open them with)', async () => {
    const { startTestApp } = await import('../support/app.js');
    const app = await startTestApp();
    try {
      const response = await fetch(`${app.url}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KIOSK_KEY}` },
        body: JSON.stringify({ nationalId: rut(9999), queueType: 'CAJA' }),
      });
      expect(await response.json()).toMatchObject({ telegramLink: null, codigoCorto: null });
    } finally {
      await app.close();
    }
  });
});
