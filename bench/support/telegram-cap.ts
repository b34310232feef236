/**
 * Telegram's real cap (SPEC §16): the fake Bot API answers 429 + retry_after beyond 30
 * sendMessage per second, the app runs with TELEGRAM_MAX_MSGS_PER_SEC=30. Two runs on the same app:
 * under the cap (first message p99 < 1 s), then three times the cap while advisors call customers
 * ("your turn" p99 < 3 s from the call, nothing lost, nothing sent twice).
 */
import type { BenchContext, Row } from './context.js';
import { fixed, ms, perSecond } from './format.js';
import { withClient } from './postgres.js';
import { count, percentile } from './scale.js';
import { kioskTicket, postTicket, registerChats, sleep, type KioskTicket, type TelegramApp } from './telegram.js';
import { ensureBranches } from './branches.js';

/** Telegram's cap for one bot (messages per second), enforced by the fake with real 429s. */
export const TELEGRAM_CAP = 30;
const UNDER_CAP_TICKETS_PER_SECOND = 20;
/** At three times the cap: new tickets ("created", and "near" for the first of each line) … */
const OVER_CAP_TICKETS_PER_SECOND = 60;
/** … while advisors call customers (each call: "your turn", and a "near" for whoever moves up). */
const OVER_CAP_CALLS_PER_SECOND = 15;
/**
 * A called customer stays called at least this long before the advisor finishes and calls the next
 * (a real call lasts minutes). Longer than the "your turn" target, so a message that is late is
 * measured late, not closed because its customer was already served; 15 calls/s need
 * 15 × 4 = 60 advisors in the calls' branch.
 */
const CALL_HOLD_MS = 4000;
const CALL_ADVISORS = 75;
const MAX_FIRST_MESSAGE_P99_MS = 1000;
const MAX_YOUR_TURN_P99_MS = 3000;
const DRAIN_TIMEOUT_MS = 90_000;

const UNDER_FIRST_CHAT = 11_000_000;
const WAITING_FIRST_CHAT = 12_000_000;
const OVER_FIRST_CHAT = 13_000_000;

interface Fired {
  chatId: number;
  sentAt: number;
  status?: number;
}

/** Open-loop POST /api/tickets at `rate`/s for `seconds`; the tickets' chats are registered beforehand. */
async function steadyTickets(app: TelegramApp, apiKey: string, tickets: readonly KioskTicket[], firstChat: number, rate: number): Promise<Fired[]> {
  const fired: Fired[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let n = 0;
  while (n < tickets.length) {
    const due = Math.min(tickets.length, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (n < due) {
      const record: Fired = { chatId: firstChat + n, sentAt: Date.now() };
      fired.push(record);
      inFlight.push(
        postTicket(app.app.url, apiKey, tickets[n]!)
          .then((answer) => void (record.status = answer.status))
          .catch(() => void (record.status = 0)),
      );
      n++;
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  return fired;
}

/** First sendMessage answered 200 per chat whose text contains `marker`, and how many such sends each chat got. */
function sendsOf(app: TelegramApp, since: number, marker: string): { first: Map<number, number>; perChat: Map<number, number> } {
  const first = new Map<number, number>();
  const perChat = new Map<number, number>();
  for (const call of app.fake.calls) {
    if (call.seq <= since || call.method !== 'sendMessage' || call.status !== 200 || call.chatId === undefined) continue;
    if (!(typeof call.params.text === 'string' && call.params.text.includes(marker))) continue;
    if (!first.has(call.chatId)) first.set(call.chatId, call.at);
    perChat.set(call.chatId, (perChat.get(call.chatId) ?? 0) + 1);
  }
  return { first, perChat };
}

/** Waits until no message is due and unsent (or the timeout). */
async function drained(databaseUrl: string): Promise<boolean> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const pending = await withClient(databaseUrl, async (client) => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from mensaje m join ticket t on t.id = m.ticket_id
         where m.estado_envio = 'PENDIENTE' and m.fecha_programada <= now() at time zone 'UTC'
           and (m.plantilla = 'TOTEM_TICKET_CREADO' or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status in ('PROXIMO', 'ATENDIENDO'))
                or (m.plantilla = 'TOTEM_ES_TU_TURNO' and t.status = 'ATENDIENDO'))`,
      );
      return rows[0]?.n ?? 0;
    });
    if (pending === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

export async function telegramAtTheCap(context: BenchContext, app: TelegramApp, databaseUrl: string): Promise<Row[]> {
  const { seconds } = context.settings;
  const rows: Row[] = [];
  const [callBranch, ...otherBranches] = context.branches;
  const ticketBranches = otherBranches.length > 0 ? otherBranches : context.branches;
  app.fake.setRateLimit({ perSecond: TELEGRAM_CAP, retryAfter: 1 });

  // 1. Under the cap: 20 tickets/s, every advisor busy, each chat registered beforehand.
  const underRut = context.freshRuts();
  const under = Array.from({ length: UNDER_CAP_TICKETS_PER_SECOND * seconds }, (_, n) => kioskTicket(n, underRut, ticketBranches, false));
  await registerChats(databaseUrl, UNDER_FIRST_CHAT, under.map((t) => t.nationalId), app.app.personalData);
  context.log(`cap ${TELEGRAM_CAP}/s (fake answers 429 beyond it): ${UNDER_CAP_TICKETS_PER_SECOND} tickets/s for ${seconds} s`);
  let mark = app.fake.mark();
  const underFired = await steadyTickets(app, context.kioskApiKey, under, UNDER_FIRST_CHAT, UNDER_CAP_TICKETS_PER_SECOND);
  await drained(databaseUrl);
  const underSends = sendsOf(app, mark, 'Ticket Creado');
  const underLatency = underFired
    .filter((f) => f.status === 201)
    .map((f) => (underSends.first.get(f.chatId) ?? Number.POSITIVE_INFINITY) - f.sentAt);
  const underP99 = percentile(underLatency, 99);
  rows.push({
    metric: `cap ${TELEGRAM_CAP}/s, ${UNDER_CAP_TICKETS_PER_SECOND} tickets/s: first message p99`,
    value: ms(underP99),
    target: `< ${MAX_FIRST_MESSAGE_P99_MS} ms`,
    met: underP99 < MAX_FIRST_MESSAGE_P99_MS,
  });

  // 2. Three times the cap. A waiting line in the calls' branch (their "created" already out),
  // then new tickets elsewhere at 60/s while its five advisors call 15 customers a second.
  const waitingRut = context.freshRuts();
  const waitingCount = OVER_CAP_CALLS_PER_SECOND * seconds + CALL_ADVISORS + 100;
  const waiting = Array.from({ length: waitingCount }, (_, n) => ({
    nationalId: kioskTicket(n, waitingRut, [callBranch!], false).nationalId,
    queueType: n % 3 === 0 ? ('EMPRESAS' as const) : ('CAJA' as const),
    branchOffice: callBranch!,
  }));
  await registerChats(databaseUrl, WAITING_FIRST_CHAT, waiting.map((t) => t.nationalId), app.app.personalData);
  for (const ticket of waiting) await postTicket(app.app.url, context.kioskApiKey, ticket);
  await drained(databaseUrl);
  const overRut = context.freshRuts();
  const over = Array.from({ length: OVER_CAP_TICKETS_PER_SECOND * seconds }, (_, n) => kioskTicket(n, overRut, ticketBranches, false));
  await registerChats(databaseUrl, OVER_FIRST_CHAT, over.map((t) => t.nationalId), app.app.personalData);
  const advisors = await withClient(databaseUrl, async (client) => {
    await ensureBranches(client, [callBranch!], 'America/Santiago');
    await client.query(
      `insert into advisor (name, email, status, module_number, queue_types, branch_office)
       select 'Asesor Tope ' || k, 'asesor.tope' || k || '@bench.banco.com', 'BUSY', 5 + k, '["CAJA","EMPRESAS"]'::json, $1
       from generate_series(1, $2::int) k`,
      [callBranch, CALL_ADVISORS],
    );
    await client.query(`update advisor set status = 'AVAILABLE' where branch_office = $1`, [callBranch]);
    const { rows: found } = await client.query<{ id: string }>(`select id from advisor where branch_office = $1 order by id`, [callBranch]);
    return found.map((r) => Number(r.id));
  });
  await app.app.services.assignment.assignAvailable(callBranch!);
  await drained(databaseUrl);

  context.log(
    `three times the cap: ${OVER_CAP_TICKETS_PER_SECOND} tickets/s + ${OVER_CAP_CALLS_PER_SECOND} calls/s ` +
      `(≈ ${OVER_CAP_TICKETS_PER_SECOND + 2 * OVER_CAP_CALLS_PER_SECOND} messages/s asked, cap ${TELEGRAM_CAP}/s) for ${seconds} s`,
  );
  mark = app.fake.mark();
  const startedAt = new Date();
  // Open loop: each advisor finishes (and so calls the next customer) as soon as a call is due, its
  // customer has been called for CALL_HOLD_MS and its previous step is done; a slow call does not
  // hold the others back.
  // Their first customers were all called before the run: stagger when each may finish, so calls
  // flow at the asked rate from the start instead of in one burst after CALL_HOLD_MS.
  const runStart = performance.now();
  const calledAt = new Map(advisors.map((id, i) => [id, runStart - CALL_HOLD_MS + (i * 1000) / OVER_CAP_CALLS_PER_SECOND]));
  const busy = new Set<number>();
  const pendingCalls: Promise<unknown>[] = [];
  const calls = (async () => {
    const t0 = performance.now();
    let done = 0;
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) * OVER_CAP_CALLS_PER_SECOND) / 1000);
      for (const advisorId of advisors) {
        if (done >= due) break;
        if (busy.has(advisorId) || performance.now() - calledAt.get(advisorId)! < CALL_HOLD_MS) continue;
        busy.add(advisorId);
        done++;
        pendingCalls.push(
          app.app.services.floor
            .finishCurrent(advisorId, 'COMPLETADO', { actor: 'SYSTEM' })
            .catch(() => undefined)
            .finally(() => {
              calledAt.set(advisorId, performance.now());
              busy.delete(advisorId);
            }),
        );
      }
      await sleep(5);
    }
    await Promise.all(pendingCalls);
    return done;
  })();
  const [overFired, callsMade] = await Promise.all([
    steadyTickets(app, context.kioskApiKey, over, OVER_FIRST_CHAT, OVER_CAP_TICKETS_PER_SECOND),
    calls,
  ]);
  const drainedAll = await drained(databaseUrl);

  const yourTurn = sendsOf(app, mark, '¡ES TU TURNO');
  const called = await withClient(databaseUrl, async (client) => {
    const { rows: found } = await client.query<{ national_id_bidx: Buffer; called_ms: string }>(
      `select national_id_bidx, (extract(epoch from assigned_at) * 1000)::bigint as called_ms from ticket
       where branch_office = $1 and assigned_at > $2::timestamptz at time zone 'UTC'`,
      [callBranch, startedAt.toISOString()],
    );
    return found;
  });
  // Tickets meet their chats by the RUT's blind index (SPEC §14).
  const chatOf = new Map(waiting.map((t, i) => [app.app.personalData.blindIndex('rut', t.nationalId).toString('hex'), WAITING_FIRST_CHAT + i]));
  const latencies: number[] = [];
  let lost = 0;
  for (const row of called) {
    const chat = chatOf.get(row.national_id_bidx.toString('hex'));
    if (chat === undefined) continue;
    const at = yourTurn.first.get(chat);
    if (at === undefined) lost++;
    else latencies.push(at - Number(row.called_ms));
  }
  const twice = [...yourTurn.perChat.values()].filter((n) => n > 1).length;
  const allSends = app.fake.calls.filter((c) => c.seq > mark && c.method === 'sendMessage');
  const duplicates = (() => {
    const seen = new Set<string>();
    let n = 0;
    for (const c of allSends) {
      if (c.status !== 200) continue;
      const key = `${c.chatId}|${String(c.params.text)}`;
      if (seen.has(key)) n++;
      seen.add(key);
    }
    return n;
  })();
  const rejected = allSends.filter((c) => c.status === 429).length;
  const states = await withClient(databaseUrl, async (client) => {
    const { rows: found } = await client.query<{ estado: string; n: number }>(
      `select estado_envio || case when error_message = 'reemplazado por un mensaje posterior' then ' (reemplazado)' else '' end as estado,
              count(*)::int as n
       from mensaje where created_at >= $1::timestamptz at time zone 'UTC' - interval '1 minute' group by 1 order by 1`,
      [startedAt.toISOString()],
    );
    return found.map((r) => `${r.estado} ${count(r.n)}`).join(', ');
  });
  const p99 = percentile(latencies, 99);
  const okDelivered = overFired.filter((f) => f.status === 201).length;
  const sentSpan = allSends.length > 1 ? (allSends.at(-1)!.at - allSends[0]!.at) / 1000 : Number.NaN;
  context.log(
    `three times the cap: ${count(okDelivered)} tickets, ${count(callsMade)} calls, ${count(latencies.length)} "your turn" received; ` +
      `${count(allSends.length - rejected)} sends accepted in ${fixed(sentSpan, 1)} s, ${count(rejected)} answered 429; ` +
      `messages of the run: ${states}${drainedAll ? '' : ' — DRAIN TIMED OUT'}`,
  );
  rows.push(
    { metric: `3× cap: sends accepted by the fake`, value: perSecond((allSends.length - rejected) / sentSpan), target: `≤ ${TELEGRAM_CAP}/s` , met: (allSends.length - rejected) / sentSpan <= TELEGRAM_CAP * 1.05 },
    { metric: `3× cap: "your turn" p50 (call → fake receives)`, value: ms(percentile(latencies, 50)) },
    {
      metric: `3× cap: "your turn" p99 (call → fake receives)`,
      value: ms(p99),
      target: `< ${MAX_YOUR_TURN_P99_MS} ms`,
      met: p99 < MAX_YOUR_TURN_P99_MS,
    },
    {
      metric: '3× cap: "your turn" lost / sent twice; any message sent twice',
      value: `${lost} / ${twice}; ${duplicates}`,
      target: '0 / 0; 0',
      met: lost === 0 && twice === 0 && duplicates === 0,
    },
  );
  return rows;
}
