import { randomBytes } from 'node:crypto';

/**
 * The keys that protect personal data (SPEC §14), as the environment spells them:
 * `DATA_ENCRYPTION_KEYS=id:base64key,...` (32-byte AES-256 keys; the first one encrypts, the
 * others only decrypt) and `BLIND_INDEX_KEY=base64key` (32 bytes, the HMAC-SHA-256 key of the
 * blind indexes). Parsing names the variable in every problem it reports.
 */
export interface DataKey {
  id: string;
  key: Buffer;
}

export interface PersonalDataKeys {
  /** The first key encrypts; every key decrypts the values written under its id. */
  dataKeys: DataKey[];
  blindIndexKey: Buffer;
}

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9_-]+$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function decodeKey(variable: string, label: string, text: string): { key?: Buffer; problem?: string } {
  if (!BASE64.test(text)) return { problem: `${variable}: la clave ${label} no es base64 válido` };
  const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (key.length !== KEY_BYTES) {
    return { problem: `${variable}: la clave ${label} debe tener ${KEY_BYTES} bytes (tiene ${key.length})` };
  }
  return { key };
}

export function parseDataKeys(text: string, variable = 'DATA_ENCRYPTION_KEYS'): Parsed<DataKey[]> {
  const problems: string[] = [];
  const keys: DataKey[] = [];
  const seen = new Set<string>();
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    if (separator <= 0) {
      problems.push(`${variable}: la entrada ${index + 1} debe tener la forma id:claveBase64`);
      return;
    }
    const id = entry.slice(0, separator);
    if (!KEY_ID.test(id)) {
      problems.push(`${variable}: el id de clave de la entrada ${index + 1} admite solo A-Z, a-z, 0-9, _ y - (1 a 32)`);
      return;
    }
    if (seen.has(id)) {
      problems.push(`${variable}: el id de clave "${id}" está repetido`);
      return;
    }
    seen.add(id);
    const { key, problem } = decodeKey(variable, `"${id}"`, entry.slice(separator + 1));
    if (problem) problems.push(problem);
    else keys.push({ id, key: key! });
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: keys };
}

export function parseBlindIndexKey(text: string, variable = 'BLIND_INDEX_KEY'): Parsed<Buffer> {
  const { key, problem } = decodeKey(variable, 'del índice ciego', text.trim());
  return problem ? { ok: false, problems: [problem] } : { ok: true, value: key! };
}

/** Fresh random keys in the environment's spelling: for tests, benches and the generated key file. */
export function generateKeyEnv(keyId = 'k1'): { DATA_ENCRYPTION_KEYS: string; BLIND_INDEX_KEY: string } {
  return {
    DATA_ENCRYPTION_KEYS: `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`,
    BLIND_INDEX_KEY: randomBytes(KEY_BYTES).toString('base64'),
  };
}

/** The environment's spelling of a key list, for worker threads and generated key files. */
export function formatDataKeys(keys: DataKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
}
