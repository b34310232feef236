import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config.js';
import { readPrivateFile } from '../../db/private-files.js';
import type { Logger } from '../../logger.js';
import { PersonalDataCipher } from './cipher.js';
import { formatDataKeys, KEY_BYTES, parseBlindIndexKey, parseDataKeys, type PersonalDataKeys } from './keys.js';

export const KEY_FILE_NAME = 'claves-datos-personales.json';

interface KeyFile {
  DATA_ENCRYPTION_KEYS: string;
  BLIND_INDEX_KEY: string;
}

/**
 * The keys the app runs with (SPEC §14): DATA_ENCRYPTION_KEYS and BLIND_INDEX_KEY when given.
 * A missing one — allowed only where config.ts allows it: the embedded database, development
 * and tests — comes from a key file in the data folder, generated (mode 0600) the first time
 * and announced once in the log, so `npm install && npm start` keeps just working.
 */
export async function resolvePersonalDataKeys(config: Config, keyDir: string, logger: Logger): Promise<PersonalDataKeys> {
  const { dataKeys, blindIndexKey } = config.personalData;
  if (dataKeys && blindIndexKey) return { dataKeys, blindIndexKey };
  const file = path.join(path.resolve(keyDir), KEY_FILE_NAME);
  const stored = await readKeyFile(file, logger);
  return { dataKeys: dataKeys ?? stored.dataKeys, blindIndexKey: blindIndexKey ?? stored.blindIndexKey };
}

async function readKeyFile(file: string, logger: Logger): Promise<PersonalDataKeys> {
  // SPEC §22: a key file of another user, or one others can read, is refused (naming the file).
  let text = await readPrivateFile(file);
  if (text === null) {
    const generated: KeyFile = {
      DATA_ENCRYPTION_KEYS: `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}:${randomBytes(KEY_BYTES).toString('base64')}`,
      BLIND_INDEX_KEY: randomBytes(KEY_BYTES).toString('base64'),
    };
    await mkdir(path.dirname(file), { recursive: true });
    // `wx`: two processes starting at once cannot both write; the loser reads the winner's keys.
    try {
      await writeFile(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      logger.warn(
        { archivo: file },
        'DATA_ENCRYPTION_KEYS / BLIND_INDEX_KEY no están definidas: se generaron claves en la carpeta de datos ' +
          '(respáldalas aparte: sin ellas los RUT y teléfonos guardados son ilegibles)',
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    text = await readPrivateFile(file);
    if (text === null) throw new Error(`El archivo de claves ${file} desapareció mientras se creaba`);
  }
  let stored: Partial<KeyFile>;
  try {
    stored = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    throw new Error(`El archivo de claves ${file} no es JSON válido`);
  }
  const dataKeys = parseDataKeys(String(stored.DATA_ENCRYPTION_KEYS ?? ''), `DATA_ENCRYPTION_KEYS (en ${file})`);
  const blindIndexKey = parseBlindIndexKey(String(stored.BLIND_INDEX_KEY ?? ''), `BLIND_INDEX_KEY (en ${file})`);
  if (!dataKeys.ok || !blindIndexKey.ok) {
    throw new Error([...(dataKeys.ok ? [] : dataKeys.problems), ...(blindIndexKey.ok ? [] : blindIndexKey.problems)].join('; '));
  }
  return { dataKeys: dataKeys.value, blindIndexKey: blindIndexKey.value };
}

/**
 * The keys and the cipher of a process that opened `database` (the app, `npm run migrate`,
 * `npm run rotate-keys`): a generated key file lives in DATA_DIR (with the embedded server's password;
 * as root the cluster itself may sit in a temporary folder, see embeddedLayout).
 */
export async function openPersonalData(config: Config, logger: Logger): Promise<{ keys: PersonalDataKeys; cipher: PersonalDataCipher }> {
  const keys = await resolvePersonalDataKeys(config, config.dataDir, logger);
  return { keys, cipher: new PersonalDataCipher(keys, { logger }) };
}

/** The keys as plain strings, for a worker thread's workerData (Buffers do not survive the copy as Buffers). */
export function keysForWorker(keys: PersonalDataKeys): { dataKeys: string; blindIndexKey: string } {
  return { dataKeys: formatDataKeys(keys.dataKeys), blindIndexKey: keys.blindIndexKey.toString('base64') };
}

export function keysFromWorker(data: { dataKeys: string; blindIndexKey: string }): PersonalDataKeys {
  const dataKeys = parseDataKeys(data.dataKeys);
  const blindIndexKey = parseBlindIndexKey(data.blindIndexKey);
  if (!dataKeys.ok || !blindIndexKey.ok) throw new Error('claves de datos personales inválidas en workerData');
  return { dataKeys: dataKeys.value, blindIndexKey: blindIndexKey.value };
}
