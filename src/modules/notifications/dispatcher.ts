import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import type { TelegramCircuit } from './circuit-breaker.js';
import type { DueStatusEdit, StatusMessages } from '../customers/status-messages.js';
import { ARMED, RESOLVED_CHAT_ID } from './chat.sql.js';
import type { Plantilla } from './mensaje.entity.js';
import { dropSupersededMessages } from './supersession.js';
import { messageButtons, renderMessage } from './templates.js';
import { urgencySql } from './urgency.js';

/**
 * What happened to one attempt to deliver a message. `permanent` fails at once and `transient`
 * spends an attempt (an answer about the chat or the message: 403, 400); `unavailable` (a 5xx, a
 * network error, an answer that is not about the chat) and `rate_limited` (429) never do (SPEC §15).
 */
export type SendOutcome =
  | { ok: true; messageId: number }
  | { ok: false; kind: 'permanent' | 'transient'; description: string }
  | { ok: false; kind: 'unavailable'; description: string; /** network error or 5xx: maybe all of Telegram */ outage?: boolean }
  | { ok: false; kind: 'rate_limited'; description: string; retryAfterSeconds: number };

/** What happened to one edit of a chat's "Mi turno" message (see classifyEditError). */
export type EditOutcome =
  | { ok: true }
  | { ok: false; kind: 'gone' | 'permanent'; description: string }
  | Extract<SendOutcome, { kind: 'unavailable' | 'rate_limited' }>;

/** The one thing the dispatcher needs from Telegram. */
export interface MessageSender {
  send(chatId: number, html: string, buttons?: InlineButtons | null): Promise<SendOutcome>;
  /** Edits a message the bot sent ("Mi turno"). */
  edit?(chatId: number, messageId: number, html: string): Promise<EditOutcome>;
  /** Does Telegram answer at all (`getMe`)? For the circuit breaker. */
  probe?(): Promise<boolean>;
}

/** Rows of inline buttons sent with a message (the rating survey's 1–5). */
export type InlineButtons = Array<Array<{ text: string; callback_data: string }>>;

/** Waits between a failed attempt and the next: 30 s, 60 s, 120 s; the fourth failure is final. */
export const RETRY_DELAYS_SECONDS = [30, 60, 120] as const;

/**
 * A message Telegram could not take (5xx, network error) waits the retry schedule's steps, never
 * longer than this, and tries again without spending an attempt (SPEC §15).
 */
export const UNAVAILABLE_BACKOFF_CAP_SECONDS = 60;

/** The wait before the next try after `esperas` unspent waits: the schedule's step, capped. */
export function unavailableBackoffSeconds(esperas: number, schedule: readonly number[] = RETRY_DELAYS_SECONDS): number {
  const step = schedule[Math.min(esperas, schedule.length - 1)] ?? UNAVAILABLE_BACKOFF_CAP_SECONDS;
  return Math.min(UNAVAILABLE_BACKOFF_CAP_SECONDS, step);
}

const SYSTEM: Origin = { actor: 'SYSTEM' };

interface Claimed {
  id: string;
  ticket_id: string;
  plantilla: Plantilla;
  intentos: number;
  esperas: number;
  numero: string;
  position_in_queue: number;
  estimated_wait_minutes: number;
  assigned_module_number: number | null;
  advisor_name: string | null;
  chat_id: string;
  datos: Record<string, string | number> | null;
  fecha_programada: string;
}

/** What became of one claimed message: for the metrics (sent ones with their lag since due). */
export interface DispatchEvent {
  outcome: 'sent' | 'retried' | 'failed' | 'held';
  plantilla: Plantilla;
  /** Sent: seconds from due (fecha_programada) to sent. */
  lagSeconds?: number;
}

/**
 * The next message that may go out now, locked so no other dispatcher (in this process or
 * another instance) takes it: due, armed, no earlier message of its ticket still pending, and a
 * chat to send it to; the most urgent first (see urgency.ts), then the oldest due. Undeliverable
 * due messages are parked (see PARK_SQL), so the candidates are the real backlog.
 */
const CLAIM_SQL = `select m.id, m.ticket_id, m.plantilla, m.intentos, m.esperas, t.numero,
    t.position_in_queue, t.estimated_wait_minutes, t.assigned_module_number, a.name as advisor_name,
    ${RESOLVED_CHAT_ID} as chat_id, m.datos, m.fecha_programada
  from mensaje m
  join ticket t on t.id = m.ticket_id
  left join advisor a on a.id = t.assigned_advisor_id
  where m.estado_envio = 'PENDIENTE' and m.fecha_programada <= ?
    and ${ARMED}
    and not exists (select 1 from mensaje e where e.ticket_id = m.ticket_id and e.estado_envio = 'PENDIENTE' and e.id < m.id)
    and ${RESOLVED_CHAT_ID} is not null
  order by ${urgencySql('m')}, m.fecha_programada, m.id
  limit 1
  for update of m skip locked`;

/** While a backlog drains, overtaken messages are looked for this often (see supersession.ts). */
const SUPERSEDE_EVERY_MS = 250;
/** Held back this recently: the dispatcher counts as throttled. */
const THROTTLED_FOR_MS = 3000;

/**
 * Due messages that cannot go out (no chat linked yet, or their event has not happened) are
 * moved a minute ahead without spending attempts, so claims never wade through them; linking a
 * chat and every event make them due again at once. Only those due for a few seconds are parked,
 * so a message armed a moment ago is never pushed back by a stale view of its ticket.
 */
const PARK_SQL = `with parked as (
    update mensaje m set fecha_programada = ?::timestamp + interval '60 seconds'
    from ticket t
    where t.id = m.ticket_id and m.estado_envio = 'PENDIENTE' and m.fecha_programada <= ?::timestamp - interval '5 seconds'
      and (not ${ARMED} or ${RESOLVED_CHAT_ID} is null)
    returning 1)
  select count(*)::int as parked from parked`;

/**
 * At most `perSecond` sends in any second as Telegram counts them (on arrival): a send holds its
 * slot while in flight and for a second after its answer came back, so however the requests'
 * travel times vary, no second can see more than `perSecond` of them arrive.
 */
export class RateLimiter {
  private readonly finished: number[] = [];
  private inFlight = 0;
  private queue: Promise<void> = Promise.resolve();
  /** When a caller last had to wait for a slot (performance.now()): the cap is holding sends back. */
  heldBackAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly perSecond: number) {}

  /** Resolves with the slot's release (call it when the send is answered); callers go in arrival order. */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn.then(() => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.finished.push(performance.now());
      };
    });
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = performance.now();
      while (this.finished.length > 0 && now - this.finished[0]! >= 1000) this.finished.shift();
      if (this.inFlight + this.finished.length < this.perSecond) {
        this.inFlight++;
        return;
      }
      // Wait for the oldest finished slot to age out, or poll while all slots are in flight.
      this.heldBackAt = now;
      await sleep(this.finished.length > 0 ? 1000 - (now - this.finished[0]!) + 1 : 10);
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends in flight at once: enough to reach the rate cap with ~200 ms per Telegram call, at most 8. */
export function dispatchConcurrency(maxMessagesPerSecond: number): number {
  return Math.min(8, Math.max(2, Math.ceil(maxMessagesPerSecond / 5)));
}


export interface DispatchResult extends Record<string, unknown> {
  sent: number;
  retried: number;
  failed: number;
  /** Due messages put a minute ahead because they cannot go out yet. */
  parked: number;
  /** Kept for later, attempts unspent, because Telegram is down (circuit open). */
  held?: number;
  /** Informational messages dropped because a later, more urgent one of their ticket overtook them. */
  superseded: number;
  /** "Mi turno" edits, after the due messages (with a StatusMessages to take them from). */
  statusEdits?: StatusEditResult;
}

export interface StatusEditResult {
  edited: number;
  /** 429, 5xx or network error: tried again later, the message kept. */
  retried: number;
  /** Kept for later because Telegram is down (circuit open). */
  held: number;
  /** Gone (deleted, or the bot blocked): no longer followed. */
  forgotten: number;
  /** A 400 about this text: given up, the message kept for the next text. */
  failed: number;
}

/** Edits claimed per run: the rest wait for the next sweep (a second later). */
const STATUS_EDITS_PER_RUN = 200;

/**
 * Delivers due notifications (SPEC §5). Each message goes out in its own short transaction that
 * holds its row lock across the send, so a cancel waits for an in-flight send and never sees a
 * message sent after it; several loops (and instances) work side by side on SKIP LOCKED.
 */
export class MessageDispatcher {
  /**
   * Sent, but the database went away before ENVIADO was committed: remembered so that when the
   * row is claimed again it is recorded, not sent a second time.
   */
  private readonly unrecorded = new Map<string, SendOutcome & { ok: true }>();

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      logger: Logger;
      sender: MessageSender;
      limiter: RateLimiter;
      concurrency: number;
      /** Waits between failed attempts (TELEGRAM_RETRY_DELAYS_S); default 30, 60, 120 s. */
      retryDelaysSeconds?: readonly number[];
      /** Telegram outage breaker (SPEC §15): while open nothing is claimed. */
      circuit?: TelegramCircuit;
      /** The chats' "Mi turno" messages whose planned edits go out after the due messages. */
      statusMessages?: StatusMessages;
      /** Told what became of each message (metrics). */
      observe?: (event: DispatchEvent) => void;
      /**
       * When overtaken messages are dropped (SPEC §16): only while sends are being held back by
       * the cap or a 429 (default), so a dispatcher that merely starts late drops nothing; or always.
       */
      supersede?: 'when-throttled' | 'always';
    },
  ) {}

  /** When Telegram last answered 429 (performance.now()); the limiter knows when the cap held sends back. */
  private throttledAt = Number.NEGATIVE_INFINITY;
  /** Telegram said 429: nothing is claimed before this moment on the dispatcher's clock (epoch ms). */
  private pausedUntil = 0;

  private get throttled(): boolean {
    const heldBack = Math.max(this.throttledAt, this.deps.limiter.heldBackAt);
    return this.deps.supersede === 'always' || performance.now() - heldBack < THROTTLED_FOR_MS;
  }

  /** Sends until nothing is due. */
  async dispatchDue(): Promise<DispatchResult> {
    const [park] = await this.deps.db.execute<{ parked: number }[]>(PARK_SQL, [this.deps.clock.now(), this.deps.clock.now()]);
    const result: DispatchResult = { sent: 0, retried: 0, failed: 0, parked: park?.parked ?? 0, superseded: 0 };
    const supersede = async (): Promise<void> => {
      if (this.throttled) result.superseded += await dropSupersededMessages(this.deps.db, this.deps.clock.now());
    };
    await supersede();
    let draining = true;
    let drained!: () => void;
    const done = new Promise<void>((resolve) => (drained = resolve));
    const overtaken = (async () => {
      while (draining) {
        await Promise.race([sleep(SUPERSEDE_EVERY_MS), done]);
        if (draining) await supersede().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'no se pudo descartar mensajes reemplazados'));
      }
    })();
    const loop = async (): Promise<void> => {
      while (await this.dispatchOne(result)) {
        // keep going while there is work
      }
    };
    try {
      await Promise.all(Array.from({ length: this.deps.concurrency }, loop));
    } finally {
      draining = false;
      drained();
      await overtaken;
    }
    if (this.deps.statusMessages && this.deps.sender.edit) result.statusEdits = await this.editStatusMessages(this.deps.statusMessages);
    return result;
  }

  /**
   * The planned "Mi turno" edits, under the same cap, circuit and 429 pause as the messages, and
   * no transaction held across a call: each outcome is recorded by its own statement afterwards.
   */
  private async editStatusMessages(statusMessages: StatusMessages): Promise<StatusEditResult> {
    const { sender, limiter, circuit } = this.deps;
    const result: StatusEditResult = { edited: 0, retried: 0, held: 0, forgotten: 0, failed: 0 };
    const mayCall = async (): Promise<boolean> =>
      this.deps.clock.now().getTime() >= this.pausedUntil && (!circuit || (await circuit.allowSend()));
    if (!(await mayCall())) return result;
    const due = await statusMessages.due(STATUS_EDITS_PER_RUN);
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < due.length && (await mayCall())) {
        // Taken after the await: another loop may have taken the last one meanwhile.
        const edit = due[next++];
        if (!edit) return;
        const release = await limiter.acquire();
        const outcome = await sender.edit!(edit.chatId, edit.messageId, edit.text).finally(release);
        await this.recordEdit(statusMessages, edit, outcome, result);
      }
    };
    await Promise.all(Array.from({ length: this.deps.concurrency }, loop));
    return result;
  }

  private async recordEdit(statusMessages: StatusMessages, edit: DueStatusEdit, outcome: EditOutcome, result: StatusEditResult): Promise<void> {
    const now = this.deps.clock.now();
    const { logger } = this.deps;
    if (outcome.ok) {
      await statusMessages.shown(edit);
      result.edited++;
      return;
    }
    switch (outcome.kind) {
      case 'gone':
        await statusMessages.forget(edit);
        logger.info({ reason: outcome.description }, '"Mi turno" ya no existe en el chat: se deja de actualizar');
        result.forgotten++;
        return;
      case 'permanent':
        // This text will never be accepted; the next one may be.
        await statusMessages.shown(edit);
        logger.warn({ reason: outcome.description }, 'Telegram rechazó el texto de "Mi turno"; se espera el próximo');
        result.failed++;
        return;
      case 'rate_limited':
        this.pausedUntil = Math.max(this.pausedUntil, now.getTime() + outcome.retryAfterSeconds * 1000);
        this.throttledAt = performance.now();
        await statusMessages.retryAt(edit, new Date(now.getTime() + outcome.retryAfterSeconds * 1000), { countWait: false });
        logger.warn({ retryAfter: outcome.retryAfterSeconds }, 'Telegram pidió esperar (429) al editar "Mi turno"');
        result.retried++;
        return;
      case 'unavailable':
        if (outcome.outage && (await this.deps.circuit?.isOutage())) {
          // Telegram itself is down: the edit keeps its place and goes out when the circuit closes.
          result.held++;
          return;
        }
        await statusMessages.retryAt(edit, new Date(now.getTime() + unavailableBackoffSeconds(edit.esperas, this.deps.retryDelaysSeconds) * 1000), {
          countWait: true,
        });
        logger.warn({ reason: outcome.description }, 'no se pudo editar "Mi turno"; se reintenta más tarde');
        result.retried++;
        return;
    }
  }

  private async dispatchOne(result: DispatchResult): Promise<boolean> {
    // After a 429 nothing is claimed (no row lock held across the wait) until Telegram allows it.
    if (this.deps.clock.now().getTime() < this.pausedUntil) return false;
    if (this.deps.circuit && !(await this.deps.circuit.allowSend())) return false;
    let delivered: { id: string; outcome: SendOutcome & { ok: true } } | undefined;
    try {
      return await this.claimAndSend(result, (id, outcome) => (delivered = { id, outcome }));
    } catch (error) {
      // Sent, but ENVIADO never committed (the database went away): remember it, never send it twice.
      if (delivered) this.unrecorded.set(delivered.id, delivered.outcome);
      throw error;
    }
  }

  private claimAndSend(
    result: DispatchResult,
    onDelivered: (id: string, outcome: SendOutcome & { ok: true }) => void,
  ): Promise<boolean> {
    const { db, clock, sender, limiter } = this.deps;
    return db.transactional(async (tx) => {
      const [message] = await tx.execute<Claimed[]>(CLAIM_SQL, [clock.now()]);
      if (!message) return false;
      const already = this.unrecorded.get(message.id);
      if (already) {
        await this.record(tx, message, already, result);
        this.unrecorded.delete(message.id);
        return true;
      }
      const release = await limiter.acquire();
      const html = renderMessage(message.plantilla, {
        numero: message.numero,
        posicion: message.position_in_queue,
        tiempo: message.estimated_wait_minutes,
        modulo: message.assigned_module_number,
        nombreAsesor: message.advisor_name,
        datos: message.datos,
      });
      const buttons = messageButtons(message.plantilla, Number(message.ticket_id));
      const outcome = await sender.send(Number(message.chat_id), html, buttons).finally(release);
      if (outcome.ok) onDelivered(message.id, outcome);
      await this.record(tx, message, outcome, result);
      return true;
    });
  }

  private async record(tx: Queryable, message: Claimed, outcome: SendOutcome, result: DispatchResult): Promise<void> {
    const now = this.deps.clock.now();
    const audit = (eventType: 'MENSAJE_ENVIADO' | 'MENSAJE_REINTENTADO' | 'MENSAJE_FALLIDO', data: Record<string, unknown>) =>
      recordAudit(tx, {
        entityType: 'MENSAJE',
        entityId: message.id,
        eventType,
        origin: SYSTEM,
        newState: { plantilla: message.plantilla, ticketId: Number(message.ticket_id), ...data },
        at: now,
      });

    if (outcome.ok) {
      await tx.execute(
        `update mensaje set estado_envio = 'ENVIADO', fecha_envio = ?, telegram_message_id = ?, error_message = null
         where id = ?`,
        [now, String(outcome.messageId), message.id],
      );
      await audit('MENSAJE_ENVIADO', { estadoEnvio: 'ENVIADO', intentos: message.intentos });
      result.sent++;
      const due = new Date(`${message.fecha_programada.replace(' ', 'T')}Z`).getTime();
      this.deps.observe?.({ outcome: 'sent', plantilla: message.plantilla, lagSeconds: Math.max(0, now.getTime() - due) / 1000 });
      return;
    }
    if (outcome.kind === 'rate_limited') {
      // Telegram's own limit: wait as told, without spending an attempt.
      this.pausedUntil = Math.max(this.pausedUntil, now.getTime() + outcome.retryAfterSeconds * 1000);
      this.throttledAt = performance.now();
      await tx.execute(`update mensaje set fecha_programada = ?, error_message = ? where id = ?`, [
        new Date(now.getTime() + outcome.retryAfterSeconds * 1000),
        outcome.description.slice(0, 1000),
        message.id,
      ]);
      this.deps.logger.warn({ retryAfter: outcome.retryAfterSeconds }, 'Telegram pidió esperar (429)');
      result.retried++;
      return;
    }
    if (outcome.kind === 'unavailable') {
      if (outcome.outage && (await this.deps.circuit?.isOutage())) {
        // Telegram itself is down: the message keeps its attempts and its place in line.
        await tx.execute(`update mensaje set error_message = ? where id = ?`, [
          `Telegram no disponible: ${outcome.description}`.slice(0, 1000),
          message.id,
        ]);
        result.held = (result.held ?? 0) + 1;
        this.deps.observe?.({ outcome: 'held', plantilla: message.plantilla });
        return;
      }
      // Telegram answers but could not take this one (a 5xx, a dropped connection): not the chat's
      // fault, so no attempt is spent; it tries again after a backoff until sent or its moment passes.
      const delay = unavailableBackoffSeconds(message.esperas, this.deps.retryDelaysSeconds);
      await tx.execute(`update mensaje set esperas = esperas + 1, fecha_programada = ?, error_message = ? where id = ?`, [
        new Date(now.getTime() + delay * 1000),
        outcome.description.slice(0, 1000),
        message.id,
      ]);
      await audit('MENSAJE_REINTENTADO', {
        intentos: message.intentos,
        intentoGastado: false,
        nextAttemptInSeconds: delay,
        error: outcome.description,
      });
      result.retried++;
      this.deps.observe?.({ outcome: 'retried', plantilla: message.plantilla });
      return;
    }
    const intentos = message.intentos + 1;
    const delay = (this.deps.retryDelaysSeconds ?? RETRY_DELAYS_SECONDS)[intentos - 1];
    if (outcome.kind === 'permanent' || delay === undefined) {
      await tx.execute(`update mensaje set estado_envio = 'FALLIDO', intentos = ?, error_message = ? where id = ?`, [
        intentos,
        outcome.description.slice(0, 1000),
        message.id,
      ]);
      await audit('MENSAJE_FALLIDO', { estadoEnvio: 'FALLIDO', intentos, error: outcome.description });
      this.deps.logger.warn({ mensajeId: message.id, intentos, error: outcome.description }, 'mensaje FALLIDO');
      result.failed++;
      this.deps.observe?.({ outcome: 'failed', plantilla: message.plantilla });
      return;
    }
    await tx.execute(`update mensaje set intentos = ?, fecha_programada = ?, error_message = ? where id = ?`, [
      intentos,
      new Date(now.getTime() + delay * 1000),
      outcome.description.slice(0, 1000),
      message.id,
    ]);
    await audit('MENSAJE_REINTENTADO', { intentos, nextAttemptInSeconds: delay, error: outcome.description });
    result.retried++;
    this.deps.observe?.({ outcome: 'retried', plantilla: message.plantilla });
  }
}
