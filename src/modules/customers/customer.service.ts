import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { maskRut } from '../../domain/rut.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Db } from '../../db/sql.js';
import type { EventBus } from '../../events.js';
import type { ChatLimits } from '../../config.js';
import { DomainError } from '../../errors.js';
import { planTicketMessages } from '../notifications/message-plan.js';
import { planMessages, releaseChatMessages } from '../notifications/message-store.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';
import { CHAT_OWNS_TICKET } from './ownership.sql.js';

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

/** A RUT registered in a chat: the other chats that gave the same RUT are told, nothing moves (SPEC §22). */
export interface RutRegistration {
  customer: Customer;
  /** Chats that registered the same RUT before: each is told, none loses anything. */
  otherChats: number[];
}

/** A "Verificar mi RUT" link lives this long (SPEC §22). */
export const RUT_LINK_MINUTES = 15;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** The chat's RUT verified; the chat that held it before (if another) lost it and is to be told. */
export interface RutVerified {
  maskedRut: string;
  previousChatId: number | null;
}

/** How far back MAX_RUTS_PER_CHAT counts a chat's RUTs. */
const RUT_WINDOW_MS = 30 * 86_400_000;

/**
 * The link between a Telegram chat and a customer: the RUT it gives (a claim), its verified phone,
 * the tickets opened by deep link. Which tickets a chat owns is decided in ownership.sql.ts (SPEC §22).
 * Each new link may make waiting messages deliverable, so it wakes the dispatcher.
 */
export class CustomerService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; events: EventBus; personalData: PersonalDataCipher; limits: ChatLimits },
  ) {}

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

  /**
   * Registers (or changes) the chat's RUT. A RUT is a claim, not a proof (SPEC §22): it links no
   * ticket, and registering one already given in another chat moves nothing — the other chat keeps
   * its RUT and tickets, and is told. A chat uses at most MAX_RUTS_PER_CHAT different RUTs in 30 days.
   */
  async setRut(chatId: number, nationalId: string, name: string | null): Promise<RutRegistration> {
    const now = this.deps.clock.now();
    const { personalData, limits } = this.deps;
    const bidx = personalData.blindIndex('rut', nationalId);
    return this.deps.db.transactional(async (tx) => {
      // The chat's row, locked: two registrations of one chat are counted in turn.
      await tx.execute(
        `insert into telegram_customer (chat_id, name, created_at, updated_at) values (?, ?, ?, ?)
         on conflict (chat_id) do update set updated_at = telegram_customer.updated_at`,
        [chatId, name?.slice(0, 100) ?? null, now, now],
      );
      await tx.execute(`select 1 from telegram_customer where chat_id = ? for update`, [chatId]);
      const [used] = await tx.execute<{ others: number }[]>(
        `select count(*)::int as others from telegram_chat_rut
         where chat_id = ? and national_id_bidx <> ? and last_registered_at > ?`,
        [chatId, bidx, new Date(now.getTime() - RUT_WINDOW_MS)],
      );
      if (used!.others >= limits.maxRutsPerChat) {
        throw new DomainError('LIMITE_RUT_CHAT', 'Este chat ya usó demasiados RUT distintos en 30 días', {
          maximo: limits.maxRutsPerChat,
        });
      }
      await tx.execute(
        `insert into telegram_chat_rut (chat_id, national_id_bidx, first_registered_at, last_registered_at) values (?, ?, ?, ?)
         on conflict (chat_id, national_id_bidx) do update set last_registered_at = excluded.last_registered_at`,
        [chatId, bidx, now, now],
      );
      const [row] = await tx.execute<CustomerRow[]>(
        `update telegram_customer set national_id_enc = ?, national_id_bidx = ?,
           name = coalesce(?, name), updated_at = ?
         where chat_id = ?
         returning ${CUSTOMER_COLUMNS}`,
        [personalData.encrypt('rut', nationalId), bidx, name?.slice(0, 100) ?? null, now, chatId],
      );
      const others = await tx.execute<{ chat_id: string }[]>(
        `select chat_id from telegram_customer where national_id_bidx = ? and chat_id <> ? order by chat_id limit 20`,
        [bidx, chatId],
      );
      return { customer: this.toCustomer(row!), otherChats: others.map((o) => Number(o.chat_id)) };
    });
  }

  /** SPEC §22: a single-use "Verificar mi RUT" link for this chat (the token; only its SHA-256 is kept). */
  async createRutVerificationLink(chatId: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    await this.deps.db.execute('delete from rut_verification_link where expires_at < ?', [new Date(now.getTime() - 86_400_000)]);
    await this.deps.db.execute('insert into rut_verification_link (token_hash, chat_id, created_at, expires_at) values (?, ?, ?, ?)', [
      sha256(token),
      chatId,
      now,
      new Date(now.getTime() + RUT_LINK_MINUTES * 60_000),
    ]);
    return token;
  }

  /** Spends a link (once, within 15 minutes): the chat it was sent to. */
  async openRutVerificationLink(token: string): Promise<number> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DomainError('ENLACE_NO_VALIDO', 'Este enlace no es válido');
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.execute<Array<{ chat_id: string; expires_at: string; used_at: string | null }>>(
      `with before as (select id, used_at from rut_verification_link where token_hash = ? for update)
       update rut_verification_link l set used_at = coalesce(l.used_at, ?) from before where l.id = before.id
       returning l.chat_id, l.expires_at, before.used_at`,
      [sha256(token), now],
    );
    if (!row) throw new DomainError('ENLACE_NO_VALIDO', 'Este enlace no es válido');
    if (row.used_at !== null) throw new DomainError('ENLACE_YA_USADO', 'Este enlace ya se usó');
    if (Date.parse(`${row.expires_at}Z`) <= now.getTime()) throw new DomainError('ENLACE_VENCIDO', 'Este enlace venció');
    return Number(row.chat_id);
  }

  /**
   * SPEC §22: the customer's identity provider vouched for this RUT in this chat. From now on the
   * chat owns every ticket of the RUT, kiosk ones included (ownership.sql.ts). Only one chat holds
   * a verified RUT: a chat that verified it before loses it (the newest proof wins — the person
   * just signed in) and is to be told. The chat's RUT becomes this one. Audited RUT_VERIFICADO.
   */
  async verifyRut(chatId: number, nationalId: string, issuer: string): Promise<RutVerified> {
    const now = this.deps.clock.now();
    const { personalData } = this.deps;
    const bidx = personalData.blindIndex('rut', nationalId);
    const maskedRut = maskRut(nationalId);
    const result = await this.deps.db.transactional(async (tx) => {
      // Two chats verifying the same RUT at once take turns.
      await tx.execute(`select pg_advisory_xact_lock(hashtextextended(encode(?::bytea, 'hex'), 22))`, [bidx]);
      const previous = await tx.execute<Array<{ chat_id: string }>>(
        'delete from telegram_verified_rut where national_id_bidx = ? and chat_id <> ? returning chat_id',
        [bidx, chatId],
      );
      await tx.execute(
        `insert into telegram_verified_rut (chat_id, national_id_bidx, masked_rut, issuer, verified_at) values (?, ?, ?, ?, ?)
         on conflict (chat_id) do update set national_id_bidx = excluded.national_id_bidx, masked_rut = excluded.masked_rut,
           issuer = excluded.issuer, verified_at = excluded.verified_at`,
        [chatId, bidx, maskedRut, issuer.slice(0, 255), now],
      );
      await tx.execute(
        `insert into telegram_customer (chat_id, national_id_enc, national_id_bidx, created_at, updated_at) values (?, ?, ?, ?, ?)
         on conflict (chat_id) do update set national_id_enc = excluded.national_id_enc, national_id_bidx = excluded.national_id_bidx,
           updated_at = excluded.updated_at`,
        [chatId, personalData.encrypt('rut', nationalId), bidx, now, now],
      );
      const previousChatId = previous[0] ? Number(previous[0].chat_id) : null;
      await recordAudit(tx, {
        entityType: 'PERSONA',
        entityId: maskedRut,
        eventType: 'RUT_VERIFICADO',
        origin: { actor: `telegram:${chatId}` },
        newState: { rut: maskedRut, emisor: issuer.slice(0, 255) },
        additionalData: previousChatId === null ? {} : { chatAnterior: previousChatId },
        at: now,
      });
      return { maskedRut, previousChatId };
    });
    // Kiosk tickets of this RUT whose messages waited for a chat can now be delivered here.
    await this.releaseMessages(chatId);
    return result;
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

  /**
   * The chat opened a ticket's deep link (whoever holds the printed ticket): that ticket now
   * belongs to this chat (SPEC §22). A ticket planned without messages (nobody could be reached
   * when it was taken) gets its three now, so the chat hears of it.
   */
  async linkTicket(chatId: number, codigoReferencia: string): Promise<{ ticketId: number }> {
    const now = this.deps.clock.now();
    const ticketId = await this.deps.db.transactional(async (tx) => {
      const [ticket] = await tx.execute<{ id: string; status: string; estimated_wait_minutes: number; planned: boolean }[]>(
        `select id, status, estimated_wait_minutes, exists (select 1 from mensaje m where m.ticket_id = ticket.id) as planned
         from ticket where codigo_referencia = ? for update`,
        [codigoReferencia],
      );
      if (!ticket) throw new DomainError('TICKET_NO_ENCONTRADO', 'No encontramos ese ticket');
      await tx.execute(
        `insert into ticket_telegram_link (ticket_id, chat_id, created_at) values (?, ?, ?)
         on conflict (ticket_id) do update set chat_id = excluded.chat_id, created_at = excluded.created_at`,
        [ticket.id, chatId, now],
      );
      if (!ticket.planned && (ticket.status === 'EN_ESPERA' || ticket.status === 'PROXIMO')) {
        await planMessages(tx, ticket.id, planTicketMessages(now, ticket.estimated_wait_minutes, ticket.status === 'PROXIMO'), now);
      }
      return Number(ticket.id);
    });
    await this.releaseMessages(chatId);
    return { ticketId };
  }

  /**
   * The chat can now be reached: the messages of the tickets it owns that waited for a chat
   * (parked by the dispatcher) are due again, and the dispatcher is woken.
   */
  private async releaseMessages(chatId: number): Promise<void> {
    await releaseChatMessages(this.deps.db, chatId, this.deps.clock.now());
    this.deps.events.emit('chat.linked', { chatId });
  }

  /** The chat's active ticket (SPEC §22: one it owns): the one it took first, else the newest it linked. */
  async activeTicketCodigo(chatId: number): Promise<string | null> {
    const [row] = await this.deps.db.execute<{ codigo_referencia: string }[]>(
      `select t.codigo_referencia from ticket t join telegram_customer c on c.chat_id = ?
       where t.status in ${ACTIVE} and ${CHAT_OWNS_TICKET}
       order by (t.chat_id is not distinct from c.chat_id) desc, t.created_at desc
       limit 1`,
      [chatId],
    );
    return row?.codigo_referencia ?? null;
  }
}
