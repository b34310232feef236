import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import { maskPhone } from '../../domain/phone.js';
import type { QueueType } from '../../domain/queue-types.js';
import { maskRut, parseRut } from '../../domain/rut.js';
import type { TicketStatus } from '../../domain/ticket-status.js';
import { DomainError, ValidationError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import type { Logger } from '../../logger.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { CHAT_OWNS_TICKET } from '../customers/ownership.sql.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import type { TicketService } from '../tickets/ticket.service.js';
import type { PersonalDataCipher } from './cipher.js';

/** How far back /misdatos lists a chat's tickets (finished tickets are deleted after 90 days anyway). */
const RECENT_DAYS = 90;

export interface ChatData {
  maskedRut: string | null;
  maskedPhone: string | null;
  tickets: Array<{ numero: string; queueType: QueueType; status: TicketStatus; branchOffice: string; createdAt: string }>;
}

/** What the bank holds about a person, decrypted for the holder (GET /api/admin/personas/:rut). */
export interface PersonExport {
  nationalId: string;
  telegram: Array<{ chatId: number; name: string | null; phone: string | null; createdAt: string; updatedAt: string }>;
  tickets: Array<{
    identificador: string;
    numero: string;
    branchOffice: string;
    queueType: QueueType;
    status: TicketStatus;
    telefono: string | null;
    moduleNumber: number | null;
    createdAt: string;
    assignedAt: string | null;
    completedAt: string | null;
  }>;
  exportedAt: string;
}

export interface Erasure {
  chatsUnlinked: number;
  ticketsAnonymised: number;
  ticketsCancelled: string[];
}

/**
 * Who is erased: a RUT (blind index), phones (blind indexes), chats. `chat`: one chat's own
 * erasure (/borrar) — the tickets it owns (SPEC §22), its verified phone and verified RUT, never a
 * RUT it merely typed. `person`: a supervisor's erasure of a RUT and the phones it used.
 */
interface Subject {
  scope: 'chat' | 'person';
  rutBidx: Buffer | null;
  phoneBidxs: Buffer[];
  chatIds: number[];
}

const utcIso = (value: string | null): string | null => (value == null ? null : new Date(`${value}Z`).toISOString());

/**
 * The holder's rights under Ley 21.719 (SPEC §14): access (/misdatos, export) and erasure
 * (/borrar, DELETE). Erasure cancels an active ticket first through the ordinary cancel flow,
 * then, in one transaction with its audit row, unlinks the chats and nulls the encrypted RUT and
 * phone and their blind indexes on every ticket: the tickets stay, as anonymous figures, so
 * counts, waits and service times do not change, and nobody can find them by RUT or phone again.
 */
export class PersonalDataService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      events: EventBus;
      personalData: PersonalDataCipher;
      tickets: TicketService;
      logger?: Logger;
    },
  ) {}

  private get cipher(): PersonalDataCipher {
    return this.deps.personalData;
  }

  /** /misdatos: the chat's RUT and phone (masked) and the tickets it owns (SPEC §22) of the last 90 days. */
  async chatData(chatId: number): Promise<ChatData> {
    const [customer] = await this.deps.db.execute<{ national_id_enc: string | null; phone_enc: string | null }[]>(
      `select national_id_enc, phone_enc from telegram_customer where chat_id = ?`,
      [chatId],
    );
    const since = new Date(this.deps.clock.now().getTime() - RECENT_DAYS * 86_400_000);
    const tickets = await this.deps.db.execute<
      { numero: string; queue_type: QueueType; status: TicketStatus; branch_office: string; created_at: string }[]
    >(
      `select t.numero, t.queue_type, t.status, t.branch_office, t.created_at from ticket t
       join telegram_customer c on c.chat_id = ?
       where t.created_at >= ? and ${CHAT_OWNS_TICKET}
       order by t.created_at desc limit 50`,
      [chatId, since],
    );
    const phone = this.cipher.decryptNullable('phone', customer?.phone_enc);
    return {
      maskedRut: customer?.national_id_enc ? this.cipher.maskedRut(customer.national_id_enc) : null,
      maskedPhone: phone ? maskPhone(phone) : null,
      tickets: tickets.map((t) => ({
        numero: t.numero,
        queueType: t.queue_type,
        status: t.status,
        branchOffice: t.branch_office,
        createdAt: utcIso(t.created_at)!,
      })),
    };
  }

  /**
   * /borrar: the chat's link, RUT and phone; the tickets it owns keep only anonymous figures. A RUT
   * the chat only typed reaches nobody else's tickets (SPEC §22); one its identity provider
   * verified covers every ticket of that RUT.
   */
  async eraseChat(chatId: number, origin: Origin): Promise<Erasure> {
    const [customer] = await this.deps.db.execute<
      { national_id_enc: string | null; phone_enc: string | null; phone_bidx: Buffer | null; verified_bidx: Buffer | null }[]
    >(
      `select c.national_id_enc, c.phone_enc, c.phone_bidx,
              (select v.national_id_bidx from telegram_verified_rut v where v.chat_id = c.chat_id) as verified_bidx
       from telegram_customer c where c.chat_id = ?`,
      [chatId],
    );
    const subject: Subject = {
      scope: 'chat',
      rutBidx: customer?.verified_bidx ?? null,
      phoneBidxs: customer?.phone_bidx ? [customer.phone_bidx] : [],
      chatIds: [chatId],
    };
    return this.erase(subject, origin, {
      entityId: customer?.national_id_enc ? this.cipher.maskedRut(customer.national_id_enc) : `chat:${chatId}`,
      maskedPhone: customer?.phone_enc ? maskPhone(this.cipher.decrypt('phone', customer.phone_enc)) : null,
    });
  }

  /** SPEC §18: the branches where a RUT has tickets (who may export or erase it); null for a RUT that is not valid. */
  async branchesOf(rutText: string): Promise<string[] | null> {
    let nationalId: string;
    try {
      nationalId = parseRutParam(rutText);
    } catch {
      return null;
    }
    const rows = await this.deps.db.execute<{ branch_office: string }[]>(
      'select distinct branch_office from ticket where national_id_bidx = ?',
      [this.cipher.blindIndex('rut', nationalId)],
    );
    return rows.map((r) => r.branch_office);
  }

  /** GET /api/admin/personas/:rut: everything held about the RUT, decrypted, audited DATOS_EXPORTADOS. */
  async exportPerson(rutText: string, origin: Origin): Promise<PersonExport> {
    const nationalId = parseRutParam(rutText);
    const rutBidx = this.cipher.blindIndex('rut', nationalId);
    const now = this.deps.clock.now();
    return this.deps.db.transactional(async (tx) => {
      const chats = await tx.execute<
        { chat_id: string; name: string | null; phone_enc: string | null; created_at: string; updated_at: string }[]
      >(`select chat_id, name, phone_enc, created_at, updated_at from telegram_customer where national_id_bidx = ?`, [rutBidx]);
      const tickets = await tx.execute<
        {
          codigo_referencia: string;
          numero: string;
          branch_office: string;
          queue_type: QueueType;
          status: TicketStatus;
          telefono_enc: string | null;
          assigned_module_number: number | null;
          created_at: string;
          assigned_at: string | null;
          completed_at: string | null;
        }[]
      >(
        `select codigo_referencia, numero, branch_office, queue_type, status, telefono_enc, assigned_module_number,
                created_at, assigned_at, completed_at
         from ticket where national_id_bidx = ? order by created_at, id`,
        [rutBidx],
      );
      if (chats.length === 0 && tickets.length === 0) throw personNotFound();
      const result: PersonExport = {
        nationalId,
        telegram: chats.map((c) => ({
          chatId: Number(c.chat_id),
          name: c.name,
          phone: this.cipher.decryptNullable('phone', c.phone_enc),
          createdAt: utcIso(c.created_at)!,
          updatedAt: utcIso(c.updated_at)!,
        })),
        tickets: tickets.map((t) => ({
          identificador: t.codigo_referencia,
          numero: t.numero,
          branchOffice: t.branch_office,
          queueType: t.queue_type,
          status: t.status,
          telefono: this.cipher.decryptNullable('phone', t.telefono_enc),
          moduleNumber: t.assigned_module_number,
          createdAt: utcIso(t.created_at)!,
          assignedAt: utcIso(t.assigned_at),
          completedAt: utcIso(t.completed_at),
        })),
        exportedAt: now.toISOString(),
      };
      await recordAudit(tx, {
        entityType: 'PERSONA',
        entityId: maskRut(nationalId),
        eventType: 'DATOS_EXPORTADOS',
        origin,
        newState: { rut: maskRut(nationalId), chats: chats.length, tickets: tickets.length },
        at: now,
      });
      return result;
    });
  }

  /** DELETE /api/admin/personas/:rut: erasure of the RUT and the phones it used, audited DATOS_ELIMINADOS. */
  async erasePerson(rutText: string, origin: Origin): Promise<Erasure> {
    const nationalId = parseRutParam(rutText);
    const rutBidx = this.cipher.blindIndex('rut', nationalId);
    const known = await this.deps.db.execute<{ phone_bidx: Buffer | null; chat_id: string | null }[]>(
      `select phone_bidx, chat_id from telegram_customer where national_id_bidx = ?
       union all
       select telefono_bidx, null from ticket where national_id_bidx = ?`,
      [rutBidx, rutBidx],
    );
    if (known.length === 0) throw personNotFound();
    const subject: Subject = {
      scope: 'person',
      rutBidx,
      phoneBidxs: uniqueBuffers(known.map((k) => k.phone_bidx)),
      chatIds: known.filter((k) => k.chat_id !== null).map((k) => Number(k.chat_id)),
    };
    return this.erase(subject, origin, { entityId: maskRut(nationalId), maskedPhone: null });
  }

  private async erase(subject: Subject, origin: Origin, audit: { entityId: string; maskedPhone: string | null }): Promise<Erasure> {
    // 1. An active ticket is cancelled first, through the ordinary cancel flow (its own audit row,
    //    its messages closed). A ticket being served cannot be: TICKET_NO_CANCELABLE (409).
    const cancelled: string[] = [];
    for (const ticket of await this.activeTickets(this.deps.db, subject)) {
      const view = await this.deps.tickets.cancel(ticket.codigo_referencia, origin);
      cancelled.push(view.numero);
    }
    // 2. Unlink and anonymise, in one transaction with the audit row.
    const now = this.deps.clock.now();
    const { chatsUnlinked, ticketsAnonymised } = await this.deps.db.transactional(async (tx) => {
      // A chat erases itself only; a person's erasure reaches every chat that gave the RUT or its phones.
      const chats = await tx.execute<{ chat_id: string }[]>(
        subject.scope === 'chat'
          ? `select chat_id from telegram_customer where chat_id = any(?::bigint[]) order by chat_id for update`
          : `select chat_id from telegram_customer
             where chat_id = any(?::bigint[]) or national_id_bidx = ? or phone_bidx = any(?::bytea[])
             order by chat_id for update`,
        subject.scope === 'chat' ? [subject.chatIds] : [subject.chatIds, subject.rutBidx, subject.phoneBidxs],
      );
      const chatIds = [...new Set([...subject.chatIds, ...chats.map((c) => Number(c.chat_id))])];
      // A ticket taken between the cancel and this lock would lose its one-active-ticket guard: refuse.
      const stillActive = await this.activeTickets(tx, { ...subject, chatIds });
      if (stillActive.length > 0) {
        throw new DomainError('TICKET_NO_CANCELABLE', `El ticket ${stillActive[0]!.numero} sigue activo; intenta de nuevo`);
      }
      // Finished tickets only: one taken since the check above (read committed) keeps its RUT and its guard.
      const anonymised = await tx.execute<{ id: string }[]>(
        `update ticket set national_id_enc = null, national_id_bidx = null, telefono_enc = null, telefono_bidx = null,
           updated_at = ?
         where status not in ${ACTIVE}
           and (national_id_bidx = ? or telefono_bidx = any(?::bytea[])
                or id in (select ticket_id from ticket_telegram_link where chat_id = any(?::bigint[]))
                or chat_id = any(?::bigint[]))
         returning id`,
        [now, subject.rutBidx, subject.phoneBidxs, chatIds, this.takerChats(subject)],
      );
      // The phone on someone else's waiting ticket (they gave it at the kiosk) is the holder's too.
      await tx.execute(
        `update ticket set telefono_enc = null, telefono_bidx = null, updated_at = ?
         where status in ${ACTIVE} and telefono_bidx = any(?::bytea[]) and national_id_bidx is distinct from ?`,
        [now, subject.phoneBidxs, subject.rutBidx],
      );
      await tx.execute(`delete from ticket_telegram_link where chat_id = any(?::bigint[])`, [chatIds]);
      await tx.execute(`update ticket set chat_id = null where chat_id = any(?::bigint[])`, [chatIds]);
      await tx.execute(`delete from telegram_chat_rut where chat_id = any(?::bigint[]) or national_id_bidx = ?`, [
        chatIds,
        subject.rutBidx,
      ]);
      await tx.execute(`delete from telegram_verified_rut where chat_id = any(?::bigint[]) or national_id_bidx = ?`, [
        chatIds,
        subject.rutBidx,
      ]);
      await tx.execute(`delete from telegram_status_message where chat_id = any(?::bigint[])`, [chatIds]);
      await tx.execute(`delete from bot_conversation where key = any(?::text[])`, [chatIds.map(String)]);
      const deleted = await tx.execute<{ chat_id: string }[]>(
        `delete from telegram_customer where chat_id = any(?::bigint[]) returning chat_id`,
        [chatIds],
      );
      await recordAudit(tx, {
        entityType: 'PERSONA',
        entityId: audit.entityId,
        eventType: 'DATOS_ELIMINADOS',
        origin,
        newState: {
          rut: audit.entityId.startsWith('chat:') ? null : audit.entityId,
          telefono: audit.maskedPhone,
          chatsDesvinculados: deleted.length,
          ticketsAnonimizados: anonymised.length,
          ticketsCancelados: cancelled,
        },
        at: now,
      });
      return { chatsUnlinked: deleted.length, ticketsAnonymised: anonymised.length };
    });
    this.deps.logger?.info({ chats: chatsUnlinked, tickets: ticketsAnonymised }, 'datos personales eliminados');
    return { chatsUnlinked, ticketsAnonymised, ticketsCancelled: cancelled };
  }

  /** The chats whose taken tickets are the subject's: the erasing chat itself, none for a person (SPEC §22). */
  private takerChats(subject: Subject): number[] {
    return subject.scope === 'chat' ? subject.chatIds : [];
  }

  /** Active tickets cancelled first: the RUT's (a person, or a chat's verified RUT), those the chat took or linked. */
  private activeTickets(db: Queryable, subject: Subject): Promise<{ codigo_referencia: string; numero: string }[]> {
    return db.execute<{ codigo_referencia: string; numero: string }[]>(
      `select codigo_referencia, numero from ticket
       where status in ${ACTIVE} and (national_id_bidx = ? or chat_id = any(?::bigint[])
         or id in (select ticket_id from ticket_telegram_link where chat_id = any(?::bigint[])))
       order by id`,
      [subject.rutBidx, this.takerChats(subject), subject.chatIds],
    );
  }
}

function parseRutParam(text: string): string {
  const rut = parseRut(text.slice(0, 40));
  if (!rut.ok) throw new ValidationError({ rut: rut.reason });
  return rut.rut;
}

function personNotFound(): DomainError {
  return new DomainError('PERSONA_NO_ENCONTRADA', 'No hay datos de una persona con ese RUT');
}

function uniqueBuffers(values: Array<Buffer | null>): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const value of values) if (value) seen.set(value.toString('hex'), value);
  return [...seen.values()];
}
