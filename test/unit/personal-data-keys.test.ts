import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isUnreadableData, keyIdOf, PersonalDataCipher, type UnreadableDataError } from '../../src/modules/privacy/cipher.js';
import { parseDataKeys, type PersonalDataKeys } from '../../src/modules/privacy/keys.js';
import { createLogger } from '../../src/logger.js';
import { KIOSK_KEY } from '../support/keys.js';

const key = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const keys = (spec: string, blind = key(9)): PersonalDataKeys => ({
  dataKeys: (parseDataKeys(spec) as { value: PersonalDataKeys['dataKeys'] }).value,
  blindIndexKey: Buffer.from(blind, 'base64'),
});

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ KIOSK_API_KEY: KIOSK_KEY, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

function unreadable(work: () => unknown): UnreadableDataError {
  try {
    work();
  } catch (error) {
    expect(isUnreadableData(error)).toBe(true);
    return error as UnreadableDataError;
  }
  throw new Error('no error');
}

describe('DATA_ENCRYPTION_KEYS and BLIND_INDEX_KEY in the configuration', () => {
  it('accepts id:base64 lists (standard or URL-safe base64) and a 32-byte blind-index key', () => {
    const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url');
    expect(problems({ DATA_ENCRYPTION_KEYS: `a:${key(1)}, b-2:${urlSafe}`, BLIND_INDEX_KEY: key(3) })).toEqual([]);
  });

  it('names the variable for bad base64, a wrong length, a duplicate id, a missing id', () => {
    expect(problems({ DATA_ENCRYPTION_KEYS: 'k1:not base64!' })).toEqual(['DATA_ENCRYPTION_KEYS: la clave "k1" no es base64 válido']);
    expect(problems({ DATA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` })).toEqual([
      'DATA_ENCRYPTION_KEYS: la clave "k1" debe tener 32 bytes (tiene 16)',
    ]);
    expect(problems({ DATA_ENCRYPTION_KEYS: `k1:${key(1)},k1:${key(2)}` })).toEqual([
      'DATA_ENCRYPTION_KEYS: el id de clave "k1" está repetido',
    ]);
    expect(problems({ DATA_ENCRYPTION_KEYS: key(1) })[0]).toMatch(/^DATA_ENCRYPTION_KEYS: la entrada 1 debe tener la forma id:claveBase64/);
    expect(problems({ BLIND_INDEX_KEY: 'abc' })[0]).toMatch(/^BLIND_INDEX_KEY: .*32 bytes/);
  });

  it('requires both keys with an external database in production, and only there', () => {
    const external = { DATABASE_URL: 'postgresql://db/ticketero' };
    expect(problems(external)).toEqual([
      expect.stringMatching(/^DATA_ENCRYPTION_KEYS es obligatorio con DATABASE_URL en producción/),
      expect.stringMatching(/^BLIND_INDEX_KEY es obligatorio con DATABASE_URL en producción/),
    ]);
    expect(problems({ ...external, DATA_ENCRYPTION_KEYS: `k1:${key(1)}`, BLIND_INDEX_KEY: key(2) })).toEqual([]);
    expect(problems({ ...external, NODE_ENV: 'test' })).toEqual([]); // generated into the data folder
    expect(problems({})).toEqual([]); // embedded database: generated beside it
  });

  it('are not asked for by the database-only tools (backup, restore: SPEC §15), nor read by them', () => {
    const external = { DATABASE_URL: 'postgresql://db/ticketero', KIOSK_API_KEY: KIOSK_KEY };
    expect(() => loadConfig(external, { serving: false, personalDataKeys: false })).not.toThrow();
    const config = loadConfig({ ...external, DATA_ENCRYPTION_KEYS: `k1:${key(1)}`, BLIND_INDEX_KEY: key(2) }, { serving: false, personalDataKeys: false });
    expect(config.personalData).toMatchObject({ dataKeys: undefined, blindIndexKey: undefined });
  });
});

describe('PersonalDataCipher', () => {
  const cipher = new PersonalDataCipher(keys(`k2:${key(2)},k1:${key(1)}`), { logger: createLogger('silent') });

  it('encrypts with AES-256-GCM under the first key, a fresh nonce each time, and decrypts', () => {
    const a = cipher.encrypt('rut', '12345678-5');
    const b = cipher.encrypt('rut', '12345678-5');
    expect(a).toMatch(/^v1:k2:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('12345678');
    expect(keyIdOf(a)).toBe('k2');
    expect(cipher.decrypt('rut', a)).toBe('12345678-5');
    expect(cipher.decrypt('rut', b)).toBe('12345678-5');
  });

  it('decrypts values written under an older key, and re-encrypts them under the first', () => {
    const old = new PersonalDataCipher(keys(`k1:${key(1)}`)).encrypt('phone', '+56912345678');
    expect(cipher.decrypt('phone', old)).toBe('+56912345678');
    const fresh = cipher.reencrypt('phone', old);
    expect(keyIdOf(fresh)).toBe('k2');
    expect(cipher.decrypt('phone', fresh)).toBe('+56912345678');
    expect(cipher.reencrypt('phone', fresh)).toBe(fresh);
  });

  it('gives equal values equal blind indexes, by kind and key, and reveals nothing else', () => {
    const index = cipher.blindIndex('rut', '12345678-5');
    expect(index).toHaveLength(32);
    expect(cipher.blindIndex('rut', '12345678-5').equals(index)).toBe(true);
    expect(cipher.blindIndex('rut', '12345679-3').equals(index)).toBe(false);
    expect(cipher.blindIndex('phone', '12345678-5').equals(index)).toBe(false);
    const otherKey = new PersonalDataCipher(keys(`k2:${key(2)}`, key(8)));
    expect(otherKey.blindIndex('rut', '12345678-5').equals(index)).toBe(false);
  });

  it('refuses a value under an unknown key id, naming the id and never the value', () => {
    const foreign = new PersonalDataCipher(keys(`k9:${key(7)}`)).encrypt('rut', '12345678-5');
    const error = unreadable(() => cipher.decrypt('rut', foreign));
    expect(error.code).toBe('DATO_CIFRADO_ILEGIBLE');
    expect(error.reason).toBe('CLAVE_DESCONOCIDA');
    expect(error.keyId).toBe('k9');
    expect(error.message).toContain('"k9"');
    expect(error.message).not.toContain('12345678');
  });

  it('refuses a tampered ciphertext, a value moved to another kind, a relabelled key id and garbage', () => {
    const value = cipher.encrypt('rut', '12345678-5');
    const body = Buffer.from(value.split(':')[2]!, 'base64url');
    body[14] = body[14]! ^ 1;
    expect(unreadable(() => cipher.decrypt('rut', `v1:k2:${body.toString('base64url')}`)).reason).toBe('AUTENTICACION_FALLIDA');
    expect(unreadable(() => cipher.decrypt('phone', value)).reason).toBe('AUTENTICACION_FALLIDA');
    expect(unreadable(() => cipher.decrypt('rut', value.replace('v1:k2:', 'v1:k1:'))).reason).toBe('AUTENTICACION_FALLIDA');
    expect(unreadable(() => cipher.decrypt('rut', '12345678-5')).reason).toBe('FORMATO_INVALIDO');
    expect(unreadable(() => cipher.decrypt('rut', 'v1:k2:AAAA')).reason).toBe('FORMATO_INVALIDO');
  });

  it('masks for views, and shows an unreadable value as such (logged with its code and key id only)', () => {
    const lines: string[] = [];
    const logged = new PersonalDataCipher(keys(`k2:${key(2)}`), { logger: createLogger('info', { write: (l: string) => void lines.push(l) }) });
    expect(logged.maskedRut(logged.encrypt('rut', '12345678-5'))).toBe('12.***.***-5');
    const foreign = new PersonalDataCipher(keys(`k9:${key(7)}`)).encrypt('rut', '12345678-5');
    expect(logged.maskedRut(foreign)).toBe('RUT ilegible');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: 'DATO_CIFRADO_ILEGIBLE', keyId: 'k9', motivo: 'CLAVE_DESCONOCIDA', dato: 'rut' });
    expect(lines[0]).not.toContain(foreign.split(':')[2]!);
  });
});
