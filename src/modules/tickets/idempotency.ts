import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/sql.js';
import { DomainError } from '../../errors.js';
import type { TakeTicketCommand } from './ticket.validation.js';

/** How long a key is honoured (SPEC §19). */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

/** A request's key, scoped to the credential that sent it, and a fingerprint of what it asked for. */
export interface IdempotencyClaim {
  keyHash: string;
  requestHash: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Keys are scoped to the client's credential (one kiosk cannot replay another's ticket). The
 * request's fingerprint uses the blind indexes, never the RUT or phone themselves.
 */
export function idempotencyClaim(
  credential: string,
  key: string,
  command: TakeTicketCommand,
  blindIndexes: { nationalId: Buffer; telefono: Buffer | null },
): IdempotencyClaim {
  const request = JSON.stringify([
    blindIndexes.nationalId.toString('hex'),
    blindIndexes.telefono?.toString('hex') ?? null,
    command.branchOffice,
    command.queueType,
    command.atencionPreferente ?? null,
    command.consentimientoTelefono === true,
  ]);
  return { keyHash: sha256(`${sha256(credential)}\n${key}`), requestHash: sha256(request) };
}

/** An `Idempotency-Key` header: 1 to 255 visible ASCII characters (a UUID per attempt from the tótem). */
export function isValidIdempotencyKey(value: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(value);
}

/**
 * Takes the key inside the ticket's transaction. A second request with the same key waits on the
 * primary key until the first commits (then it is refused here and replays) or rolls back (then it
 * goes on). An expired key is taken over.
 */
export async function claimKey(tx: Queryable, claim: IdempotencyClaim, now: Date): Promise<boolean> {
  const rows = await tx.execute<{ key_hash: string }[]>(
    `insert into ticket_idempotency_key (key_hash, request_hash, created_at) values (?, ?, ?)
     on conflict (key_hash) do update set request_hash = excluded.request_hash, ticket_id = null, response = null,
       created_at = excluded.created_at
       where ticket_idempotency_key.created_at <= excluded.created_at - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'
     returning key_hash`,
    [claim.keyHash, claim.requestHash, now],
  );
  return rows.length === 1;
}

export async function settleKey(tx: Queryable, claim: IdempotencyClaim, ticketId: number, response: object): Promise<void> {
  await tx.execute(`update ticket_idempotency_key set ticket_id = ?, response = ?::jsonb where key_hash = ?`, [
    ticketId,
    JSON.stringify(response),
    claim.keyHash,
  ]);
}

/** The answer first given under this key; a different request under it is the client's error (422). */
export async function replayKey(db: Queryable, claim: IdempotencyClaim): Promise<{ ticketId: number; response: Record<string, unknown> }> {
  const [row] = await db.execute<{ request_hash: string; ticket_id: string | null; response: Record<string, unknown> | null }[]>(
    `select request_hash, ticket_id, response from ticket_idempotency_key where key_hash = ?`,
    [claim.keyHash],
  );
  if (row && row.request_hash !== claim.requestHash) {
    throw new DomainError(
      'IDEMPOTENCIA_CONFLICTO',
      'Esa Idempotency-Key ya se usó con otra solicitud; usa una clave nueva para cada intento distinto',
    );
  }
  if (!row?.ticket_id || !row.response) {
    // Its ticket was deleted (after 90 days it cannot be: keys live 24 h) or the row vanished meanwhile.
    throw new DomainError('IDEMPOTENCIA_CONFLICTO', 'Esa Idempotency-Key no se puede repetir; usa una clave nueva');
  }
  return { ticketId: Number(row.ticket_id), response: row.response };
}

/** The maintenance job's purge of keys past their window. */
export const PURGE_IDEMPOTENCY_KEYS_SQL = `with gone as (
  delete from ticket_idempotency_key where created_at < ?::timestamp - interval '${IDEMPOTENCY_WINDOW_HOURS} hours' returning 1)
select count(*)::int as count from gone`;
