import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';

/** A chat's "Mi turno" message as the job sees it. */
export interface TrackedStatus {
  chatId: number;
  messageId: number;
  codigo: string;
  lastText: string;
  pendingText: string | null;
}

/** An edit the dispatcher may make now: the message should show `text`. */
export interface DueStatusEdit {
  chatId: number;
  messageId: number;
  text: string;
  esperas: number;
}

/**
 * The one owner of `telegram_status_message` (but the holder's erasure, SPEC §14): the bot saves a
 * chat's "Mi turno" message, the status-messages job plans what it should say, and the dispatcher
 * makes the edit under its limits and records what came of it. Every write after an edit names
 * the text it edited, so a newer plan made meanwhile is never taken for delivered.
 */
export class StatusMessages {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  private get db(): Db {
    return this.deps.db;
  }

  /** The message the bot just sent for a chat's ticket, showing `text` (it replaces the chat's earlier one). */
  async save(chatId: number, messageId: number, ticketId: number, text: string): Promise<void> {
    await this.db.execute(
      `insert into telegram_status_message (chat_id, message_id, ticket_id, last_text, updated_at) values (?, ?, ?, ?, ?)
       on conflict (chat_id) do update set message_id = excluded.message_id, ticket_id = excluded.ticket_id,
         last_text = excluded.last_text, updated_at = excluded.updated_at, pending_text = null, next_attempt_at = null, esperas = 0`,
      [chatId, messageId, ticketId, text, this.deps.clock.now()],
    );
  }

  /** The messages followed, least recently changed first. */
  async tracked(limit = 500): Promise<TrackedStatus[]> {
    const rows = await this.db.execute<
      { chat_id: string; message_id: string; codigo_referencia: string; last_text: string; pending_text: string | null }[]
    >(
      `select s.chat_id, s.message_id, t.codigo_referencia, s.last_text, s.pending_text
       from telegram_status_message s join ticket t on t.id = s.ticket_id order by s.updated_at limit ?`,
      [limit],
    );
    return rows.map((r) => ({
      chatId: Number(r.chat_id),
      messageId: Number(r.message_id),
      codigo: r.codigo_referencia,
      lastText: r.last_text,
      pendingText: r.pending_text,
    }));
  }

  /**
   * The message should show `text` (null: what it shows is right). A wait for Telegram already
   * set (429, 5xx) is kept: a new text does not jump it.
   */
  async plan(status: Pick<TrackedStatus, 'chatId' | 'messageId'>, text: string | null): Promise<void> {
    const now = this.deps.clock.now();
    await this.db.execute(
      `update telegram_status_message set pending_text = ?, next_attempt_at = greatest(next_attempt_at, ?), updated_at = ?
       where chat_id = ? and message_id = ?`,
      [text, now, now, status.chatId, status.messageId],
    );
  }

  /** Stop following a chat's message (its ticket ended and the message says so, or it is gone). */
  async forget(status: Pick<TrackedStatus, 'chatId' | 'messageId'>): Promise<void> {
    await this.db.execute(`delete from telegram_status_message where chat_id = ? and message_id = ?`, [status.chatId, status.messageId]);
  }

  /** Edits due now, the longest waiting first. */
  async due(limit: number): Promise<DueStatusEdit[]> {
    const rows = await this.db.execute<{ chat_id: string; message_id: string; pending_text: string; esperas: number }[]>(
      `select chat_id, message_id, pending_text, esperas from telegram_status_message
       where pending_text is not null and next_attempt_at <= ? order by next_attempt_at, chat_id limit ?`,
      [this.deps.clock.now(), limit],
    );
    return rows.map((r) => ({ chatId: Number(r.chat_id), messageId: Number(r.message_id), text: r.pending_text, esperas: r.esperas }));
  }

  /**
   * The message shows `edit.text` now (edited, or Telegram says it already did), or it never will
   * (a 400 about this text): either way it is what the message is taken to show.
   */
  async shown(edit: DueStatusEdit): Promise<void> {
    const now = this.deps.clock.now();
    await this.db.execute(
      `update telegram_status_message set last_text = pending_text, pending_text = null, next_attempt_at = null, esperas = 0, updated_at = ?
       where chat_id = ? and message_id = ? and pending_text = ?`,
      [now, edit.chatId, edit.messageId, edit.text],
    );
  }

  /** Telegram could not take the edit now (429, 5xx, network): try again at `at`, the message kept. */
  async retryAt(edit: DueStatusEdit, at: Date, { countWait }: { countWait: boolean }): Promise<void> {
    await this.db.execute(
      `update telegram_status_message set next_attempt_at = ?, esperas = esperas + ? where chat_id = ? and message_id = ?`,
      [at, countWait ? 1 : 0, edit.chatId, edit.messageId],
    );
  }
}
