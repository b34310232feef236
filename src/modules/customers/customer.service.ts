import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import type { EventBus } from '../../events.js';
import { DomainError } from '../../errors.js';
import { ARMED } from '../notifications/chat.sql.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';

export interface Customer {
  chatId: number;
  nationalId: string | null;
  phone: string | null;
  name: string | null;
}

interface CustomerRow {
  chat_id: string;
  national_id_enc: string | null;
  phone_enc: string | null;
  name: string | null;
}

const CUSTOMER_COLUMNS = 'chat_id, national_id_enc, phone_enc, name';

/** Deep-link payloads are `t_` + the ticket's reference without dashes: 34 of Telegram's 64 characters. */
export function ticketPayload(codigoReferencia: string): string {
  return `t_${codigoReferencia.replaceAll('-', '')}`;
}

export function parseTicketPayload(payload: string): string | null {
  const match = /^t_([0-9a-f]{32})$/i.exec(payload.trim());
  if (!match) return null;
  const hex = match[1]!.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The link between a Telegram chat and a customer: their RUT, their phone, the tickets opened by
 * deep link. Each new link may make waiting messages deliverable, so it wakes the dispatcher.
 */
export class CustomerService {
  constructor(private readonly deps: { db: Db; clock: Clock; events: EventBus; personalData: PersonalDataCipher }) {}

  /** RUT and phone are stored encrypted (SPEC §14): decrypted here, for the chat's own use. */
  private toCustomer(row: CustomerRow): Customer {
    const { personalData } = this.deps;
    return {
      chatId: Number(row.chat_id),
      nationalId: personalData.decryptNullable('rut', row.national_id_enc),
      phone: personalData.decryptNullable('phone', row.phone_enc),
      name: row.name,
    };
  }

  async get(chatId: number): Promise<Customer | null> {
    const [row] = await this.deps.db.execute<CustomerRow[]>(
      `select ${CUSTOMER_COLUMNS} from telegram_customer where chat_id = ?`,
      [chatId],
    );
    return row ? this.toCustomer(row) : null;
  }

  /** Remembers the chat (first contact) and keeps the display name current. Decrypts nothing. */
  async touch(chatId: number, name: string | null): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.execute(
      `insert into telegram_customer (chat_id, name, created_at, updated_at) values (?, ?, ?, ?)
       on conflict (chat_id) do update set name = coalesce(excluded.name, telegram_customer.name)`,
      [chatId, name?.slice(0, 100) ?? null, now, now],
    );
  }

  /** Registers (or changes) the chat's RUT; a RUT lives in one chat, so it moves from any other. */
  async setRut(chatId: number, nationalId: string, name: string | null): Promise<Customer> {
    const now = this.deps.clock.now();
    const { personalData } = this.deps;
    const bidx = personalData.blindIndex('rut', nationalId);
    const customer = await this.deps.db.transactional(async (tx) => {
      await tx.execute(
        `update telegram_customer set national_id_enc = null, national_id_bidx = null, updated_at = ?
         where national_id_bidx = ? and chat_id <> ?`,
        [now, bidx, chatId],
      );
      const [row] = await tx.execute<CustomerRow[]>(
        `insert into telegram_customer (chat_id, national_id_enc, national_id_bidx, name, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?)
         on conflict (chat_id) do update set national_id_enc = excluded.national_id_enc,
           national_id_bidx = excluded.national_id_bidx,
           name = coalesce(excluded.name, telegram_customer.name), updated_at = excluded.updated_at
         returning ${CUSTOMER_COLUMNS}`,
        [chatId, personalData.encrypt('rut', nationalId), bidx, name?.slice(0, 100) ?? null, now, now],
      );
      return this.toCustomer(row!);
    });
    await this.releaseMessages(chatId);
    return customer;
  }

  async setPhone(chatId: number, phone: string, name: string | null): Promise<Customer> {
    const now = this.deps.clock.now();
    const { personalData } = this.deps;
    const [row] = await this.deps.db.execute<CustomerRow[]>(
      `insert into telegram_customer (chat_id, phone_enc, phone_bidx, name, created_at, updated_at) values (?, ?, ?, ?, ?, ?)
       on conflict (chat_id) do update set phone_enc = excluded.phone_enc, phone_bidx = excluded.phone_bidx,
         name = coalesce(excluded.name, telegram_customer.name), updated_at = excluded.updated_at
       returning ${CUSTOMER_COLUMNS}`,
      [chatId, personalData.encrypt('phone', phone), personalData.blindIndex('phone', phone), name?.slice(0, 100) ?? null, now, now],
    );
    await this.releaseMessages(chatId);
    return this.toCustomer(row!);
  }

  /** The chat opened a ticket's deep link: that ticket now reaches this chat. */
  async linkTicket(chatId: number, codigoReferencia: string): Promise<{ ticketId: number }> {
    const now = this.deps.clock.now();
    const [ticket] = await this.deps.db.execute<{ id: string }[]>(`select id from ticket where codigo_referencia = ?`, [
      codigoReferencia,
    ]);
    if (!ticket) throw new DomainError('TICKET_NO_ENCONTRADO', 'No encontramos ese ticket');
    await this.deps.db.execute(
      `insert into ticket_telegram_link (ticket_id, chat_id, created_at) values (?, ?, ?)
       on conflict (ticket_id) do update set chat_id = excluded.chat_id, created_at = excluded.created_at`,
      [ticket.id, chatId, now],
    );
    await this.releaseMessages(chatId);
    return { ticketId: Number(ticket.id) };
  }

  /**
   * The chat can now be reached: the messages of the tickets it reaches that waited for a chat
   * (parked by the dispatcher) are due again, and the dispatcher is woken.
   */
  private async releaseMessages(chatId: number): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.execute(
      `update mensaje m set fecha_programada = ?
       from ticket t, telegram_customer c
       where c.chat_id = ? and t.id = m.ticket_id and m.estado_envio = 'PENDIENTE' and m.fecha_programada > ?
         and t.status in ${ACTIVE} and ${ARMED}
         and (t.national_id_bidx = c.national_id_bidx or t.telefono_bidx = c.phone_bidx
              or exists (select 1 from ticket_telegram_link l where l.ticket_id = t.id and l.chat_id = c.chat_id))`,
      [now, chatId, now],
    );
    this.deps.events.emit('chat.linked', { chatId });
  }

  /** The chat's active ticket: the one of its RUT, else the newest it opened by deep link or phone. */
  async activeTicketCodigo(chatId: number): Promise<string | null> {
    const [row] = await this.deps.db.execute<{ codigo_referencia: string }[]>(
      `select t.codigo_referencia from ticket t
       where t.status in ${ACTIVE} and (
         t.national_id_bidx = (select national_id_bidx from telegram_customer where chat_id = ?)
         or t.telefono_bidx = (select phone_bidx from telegram_customer where chat_id = ?)
         or t.id in (select ticket_id from ticket_telegram_link where chat_id = ?))
       order by (t.national_id_bidx = (select national_id_bidx from telegram_customer where chat_id = ?)) desc nulls last,
                t.created_at desc
       limit 1`,
      [chatId, chatId, chatId, chatId],
    );
    return row?.codigo_referencia ?? null;
  }

  /** The "Mi turno" message of a chat, to be edited as the line moves. */
  async saveStatusMessage(chatId: number, messageId: number, ticketId: number, text: string): Promise<void> {
    await this.deps.db.execute(
      `insert into telegram_status_message (chat_id, message_id, ticket_id, last_text, updated_at) values (?, ?, ?, ?, ?)
       on conflict (chat_id) do update set message_id = excluded.message_id, ticket_id = excluded.ticket_id,
         last_text = excluded.last_text, updated_at = excluded.updated_at`,
      [chatId, messageId, ticketId, text, this.deps.clock.now()],
    );
  }

  async statusMessages(): Promise<Array<{ chatId: number; messageId: number; codigo: string; lastText: string }>> {
    const rows = await this.deps.db.execute<
      { chat_id: string; message_id: string; codigo_referencia: string; last_text: string }[]
    >(
      `select s.chat_id, s.message_id, t.codigo_referencia, s.last_text
       from telegram_status_message s join ticket t on t.id = s.ticket_id order by s.updated_at limit 500`,
    );
    return rows.map((r) => ({
      chatId: Number(r.chat_id),
      messageId: Number(r.message_id),
      codigo: r.codigo_referencia,
      lastText: r.last_text,
    }));
  }

  async updateStatusText(chatId: number, text: string): Promise<void> {
    await this.deps.db.execute(`update telegram_status_message set last_text = ?, updated_at = ? where chat_id = ?`, [
      text,
      this.deps.clock.now(),
      chatId,
    ]);
  }

  async forgetStatusMessage(chatId: number): Promise<void> {
    await this.deps.db.execute(`delete from telegram_status_message where chat_id = ?`, [chatId]);
  }
}
