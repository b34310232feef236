import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { maskRut } from '../../domain/rut.js';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { DataKey, PersonalDataKeys } from './keys.js';

/** What a protected value is: each kind has its own associated data and blind-index domain. */
export type PersonalDataKind = 'rut' | 'phone' | 'totp';

/**
 * Stored form of an encrypted value: `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>` — AES-256-GCM
 * with a random 96-bit nonce; the version, key id and kind are authenticated as associated data,
 * so a value moved to another column or relabelled with another key id does not decrypt.
 */
const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE = /^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]+)$/;

export type UnreadableReason = 'CLAVE_DESCONOCIDA' | 'AUTENTICACION_FALLIDA' | 'FORMATO_INVALIDO';

const REASON_TEXT: Record<UnreadableReason, string> = {
  CLAVE_DESCONOCIDA: 'fue cifrado con una clave que no está en DATA_ENCRYPTION_KEYS',
  AUTENTICACION_FALLIDA: 'no pasó la verificación de integridad (clave equivocada o dato alterado)',
  FORMATO_INVALIDO: 'no tiene el formato de un dato cifrado',
};

/** A stored value that cannot be decrypted. Names the key id and the reason, never the value. */
export class UnreadableDataError extends DomainError {
  constructor(
    readonly kind: PersonalDataKind,
    readonly keyId: string | null,
    readonly reason: UnreadableReason,
  ) {
    super(
      'DATO_CIFRADO_ILEGIBLE',
      `Un dato personal (${kind === 'rut' ? 'RUT' : 'teléfono'}) ${REASON_TEXT[reason]}${keyId ? ` (clave "${keyId}")` : ''}`,
      { keyId, motivo: reason },
    );
    this.name = 'UnreadableDataError';
  }
}

export function isUnreadableData(error: unknown): error is UnreadableDataError {
  return error instanceof UnreadableDataError;
}

/** The key id a stored value was written under, or null when it is not an envelope. */
export function keyIdOf(envelope: string): string | null {
  return ENVELOPE.exec(envelope)?.[1] ?? null;
}

const aad = (keyId: string, kind: PersonalDataKind): Buffer => Buffer.from(`ticketero:${VERSION}:${keyId}:${kind}`);

/**
 * Encryption at rest and blind indexes for RUTs and phones (SPEC §14), with Node's crypto only.
 * Values are normalised before they get here (`12345678-5`, `+56912345678`), so equal values
 * always have equal blind indexes.
 */
export class PersonalDataCipher {
  private readonly current: DataKey;
  private readonly byId: Map<string, Buffer>;
  private readonly blindKey: Buffer;
  private readonly logger: Logger | undefined;

  constructor(keys: PersonalDataKeys, options: { logger?: Logger } = {}) {
    this.logger = options.logger;
    if (keys.dataKeys.length === 0) throw new Error('DATA_ENCRYPTION_KEYS no tiene claves');
    this.current = keys.dataKeys[0]!;
    this.byId = new Map(keys.dataKeys.map((k) => [k.id, k.key]));
    this.blindKey = keys.blindIndexKey;
  }

  /** The id of the key new values are written under. */
  get currentKeyId(): string {
    return this.current.id;
  }

  hasKey(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  encrypt(kind: PersonalDataKind, value: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.current.id, kind));
    const body = Buffer.concat([nonce, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${this.current.id}:${body.toString('base64url')}`;
  }

  /** The value in clear; an unreadable one throws UnreadableDataError, logged here once (code, key id, never the value). */
  decrypt(kind: PersonalDataKind, envelope: string): string {
    try {
      return this.open(kind, envelope);
    } catch (error) {
      if (isUnreadableData(error)) this.reportUnreadable(error);
      throw error;
    }
  }

  private open(kind: PersonalDataKind, envelope: string): string {
    const match = ENVELOPE.exec(envelope);
    if (!match) throw new UnreadableDataError(kind, null, 'FORMATO_INVALIDO');
    const keyId = match[1]!;
    const key = this.byId.get(keyId);
    if (!key) throw new UnreadableDataError(kind, keyId, 'CLAVE_DESCONOCIDA');
    const body = Buffer.from(match[2]!, 'base64url');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new UnreadableDataError(kind, keyId, 'FORMATO_INVALIDO');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(keyId, kind));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new UnreadableDataError(kind, keyId, 'AUTENTICACION_FALLIDA');
    }
  }

  /** Null-tolerant decrypt: a column that holds nothing decrypts to nothing. */
  decryptNullable(kind: PersonalDataKind, envelope: string | null | undefined): string | null {
    return envelope == null ? null : this.decrypt(kind, envelope);
  }

  encryptNullable(kind: PersonalDataKind, value: string | null | undefined): string | null {
    return value == null ? null : this.encrypt(kind, value);
  }

  /**
   * The masked RUT a view shows (`12.***.***-5`). A value that cannot be decrypted shows as
   * `RUT ilegible` and is logged with its code and key id (never the value): one damaged row
   * must not take a whole dashboard down, nor be shown as someone else's RUT.
   */
  maskedRut(envelope: string | null | undefined): string {
    if (envelope == null) return 'sin RUT';
    try {
      return maskRut(this.decrypt('rut', envelope));
    } catch (error) {
      if (!isUnreadableData(error)) throw error;
      return 'RUT ilegible';
    }
  }

  private reportUnreadable(error: UnreadableDataError): void {
    this.logger?.error(
      { error: error.code, dato: error.kind, keyId: error.keyId, motivo: error.reason },
      'dato personal cifrado ilegible',
    );
  }

  /** Keyed blind index (HMAC-SHA-256): equal values meet in lookups and unique indexes; nothing else is learnt. */
  blindIndex(kind: PersonalDataKind, value: string): Buffer {
    return createHmac('sha256', this.blindKey).update(`${kind}\u0000${value}`).digest();
  }

  blindIndexNullable(kind: PersonalDataKind, value: string | null | undefined): Buffer | null {
    return value == null ? null : this.blindIndex(kind, value);
  }

  /** Re-encrypts a value under the current key (rotation); values already under it come back unchanged. */
  reencrypt(kind: PersonalDataKind, envelope: string): string {
    if (keyIdOf(envelope) === this.current.id) {
      this.decrypt(kind, envelope); // still proves it is readable
      return envelope;
    }
    return this.encrypt(kind, this.decrypt(kind, envelope));
  }

  /** A fixed value's HMAC: tells at start whether BLIND_INDEX_KEY is the one the stored indexes were made with. */
  blindIndexFingerprint(): string {
    return createHmac('sha256', this.blindKey).update('ticketero:indice-ciego:verificacion').digest('base64url');
  }
}
