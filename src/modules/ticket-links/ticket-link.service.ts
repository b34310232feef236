import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import { isActive, type TicketStatus } from '../../domain/ticket-status.js';
import { DomainError } from '../../errors.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';

/** `k_` + 32 random bytes in base64url: 45 of the 64 characters Telegram allows in a start payload. */
const TOKEN_SHAPE = /^k_[A-Za-z0-9_-]{43}$/;
/** No 0/O, 1/I/L: read from paper and typed on a phone. 32⁸ ≈ 10¹² codes. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What the tótem shows and prints: the QR's token and the code for `/turno CODE`. */
export interface IssuedLink {
  token: string;
  /** Shown as `ABCD-EFGH`; accepted with or without the dash, in any case. */
  shortCode: string;
  expiresAt: Date;
}

export interface RedeemedLink {
  ticketId: number;
  codigoReferencia: string;
  numero: string;
}

export function isLinkToken(payload: string): boolean {
  return TOKEN_SHAPE.test(payload.trim());
}

/** `abcd efgh`, `ABCD-EFGH` → `ABCDEFGH`; null when it cannot be a code. */
export function normaliseShortCode(text: string): string | null {
  const code = text.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== CODE_LENGTH) return null;
  for (const ch of code) if (!CODE_ALPHABET.includes(ch)) return null;
  return code;
}

function newShortCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * The link between a kiosk ticket and the chat that holds it (SPEC §19, §22): whoever has the
 * screen or the paper can claim it once. Tokens and codes are stored only as hashes.
 */
export class TicketLinkService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /**
   * A fresh token and short code for the ticket, valid until the end of its branch's day: the
   * midnight after the ticket's service date in the branch's own zone (SPEC §17), computed by the
   * branch-day SQL functions so a branch in Pacific/Easter or across a DST change gets its own.
   */
  async issue(codigoReferencia: string): Promise<IssuedLink> {
    const now = this.deps.clock.now();
    // A code still in use elsewhere is drawn again (the unique index says so); at 10¹² codes, rarely.
    for (let attempt = 0; ; attempt++) {
      const token = `k_${randomBytes(32).toString('base64url')}`;
      const shortCode = newShortCode();
      const rows = await this.deps.db.execute<{ id: string; expires_at: string }[]>(
        `insert into ticket_link_token (ticket_id, token_hash, short_code_hash, expires_at, created_at)
         select t.id, ?, ?, branch_local_instant(b.timezone, t.service_date + 1, '00:00'), ?
         from ticket t join branch b on b.name = t.branch_office
         where t.codigo_referencia = ?
         on conflict (short_code_hash) do nothing
         returning id, expires_at`,
        [sha256(token), sha256(normaliseShortCode(shortCode)!), now, codigoReferencia],
      );
      if (rows.length === 1) return { token, shortCode, expiresAt: new Date(`${rows[0]!.expires_at.replace(' ', 'T')}Z`) };
      const [exists] = await this.deps.db.execute<{ id: string }[]>(`select id from ticket where codigo_referencia = ?`, [codigoReferencia]);
      if (!exists) throw new DomainError('TICKET_NO_ENCONTRADO', 'No existe un ticket con ese identificador');
      if (attempt >= 5) throw new Error('no se pudo generar un código corto único');
    }
  }

  /** The QR's token, opened in the bot: links the ticket to the chat once. */
  redeemToken(token: string, chatId: number, origin: Origin): Promise<RedeemedLink> {
    return this.redeem('token_hash', sha256(token.trim()), chatId, origin);
  }

  /** `/turno CODE`: the same, for whoever cannot scan. */
  redeemShortCode(text: string, chatId: number, origin: Origin): Promise<RedeemedLink> {
    const code = normaliseShortCode(text);
    if (!code) throw new DomainError('ENLACE_NO_VALIDO', 'Ese código no es válido: son 8 letras y números, como ABCD-EF23', { malformado: true });
    return this.redeem('short_code_hash', sha256(code), chatId, origin);
  }

  private async redeem(column: 'token_hash' | 'short_code_hash', hash: string, chatId: number, origin: Origin): Promise<RedeemedLink> {
    const now = this.deps.clock.now();
    return this.deps.db.transactional(async (tx) => {
      // The row lock makes two chats racing for one paper settle in the database: one wins.
      const [link] = await tx.execute<
        { id: string; ticket_id: string; used_at: string | null; used_by_chat_id: string | null; expired: boolean; numero: string; codigo_referencia: string; status: TicketStatus }[]
      >(
        `select l.id, l.ticket_id, l.used_at, l.used_by_chat_id, l.expires_at <= ? as expired, t.numero, t.codigo_referencia, t.status
         from ticket_link_token l join ticket t on t.id = l.ticket_id
         where l.${column} = ? for update of l`,
        [now, hash],
      );
      if (!link) throw new DomainError('ENLACE_NO_VALIDO', 'No encontramos ese ticket');
      if (link.used_at !== null) {
        throw new DomainError('ENLACE_YA_USADO', 'Ese ticket ya se vinculó a un chat', {
          mismoChat: link.used_by_chat_id !== null && Number(link.used_by_chat_id) === chatId,
          numero: link.numero,
        });
      }
      if (link.expired) throw new DomainError('ENLACE_VENCIDO', 'Ese código venció al terminar el día');
      if (!isActive(link.status)) {
        throw new DomainError('ENLACE_VENCIDO', `El ticket ${link.numero} ya terminó`);
      }
      // Every token of the ticket is spent: the paper links one chat, whichever way it was read.
      await tx.execute(
        `update ticket_link_token set used_at = ?, used_by_chat_id = ? where ticket_id = ? and used_at is null`,
        [now, chatId, link.ticket_id],
      );
      await tx.execute(
        `insert into ticket_telegram_link (ticket_id, chat_id, created_at) values (?, ?, ?)
         on conflict (ticket_id) do update set chat_id = excluded.chat_id, created_at = excluded.created_at`,
        [link.ticket_id, chatId, now],
      );
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: link.ticket_id,
        eventType: 'TICKET_VINCULADO',
        origin,
        newState: { chatId },
        additionalData: { numero: link.numero, via: column === 'token_hash' ? 'QR' : 'CODIGO' },
        at: now,
      });
      return { ticketId: Number(link.ticket_id), codigoReferencia: link.codigo_referencia, numero: link.numero };
    });
  }
}

/** The maintenance job's purge: tokens a day past their end. */
export const PURGE_LINK_TOKENS_SQL = `with gone as (
  delete from ticket_link_token where expires_at < ?::timestamp - interval '1 day' returning 1)
select count(*)::int as count from gone`;
