import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger.js';
import type { AccountService } from './account.service.js';
import type { DeviceService } from '../devices/device.service.js';

export const CREDENTIALS_FILE_NAME = 'credenciales-iniciales.txt';
/** The first run's kiosk device of the default branch (SPEC §18). */
export const FIRST_KIOSK_NAME = 'Tótem 1';

export interface FirstRunCredentials {
  email: string;
  password: string;
  /** The token of the default branch's first kiosk device (null when KIOSK_API_KEY is set). */
  kioskToken: string | null;
  kioskBranch: string | null;
  file: string;
}

/** What the terminal shows once, and the file keeps (mode 0600). */
export function credentialsText(credentials: Omit<FirstRunCredentials, 'file'>, url: string | null): string {
  const lines = [
    'Ticketero — credenciales iniciales (se muestran una sola vez)',
    '',
    `Administración: ${url ? `${url}/ingresar` : '/ingresar'}`,
    `  email: ${credentials.email}`,
    `  clave: ${credentials.password}`,
    '  (al ingresar por primera vez se pide una clave nueva y activar TOTP)',
  ];
  if (credentials.kioskToken) {
    lines.push(
      '',
      `Tótem de ${credentials.kioskBranch} (dispositivo "${FIRST_KIOSK_NAME}"): ${url ? `${url}/totem` : '/totem'}`,
      `  token: ${credentials.kioskToken}`,
      '  (pégalo una vez en el tótem; en la API: Authorization: Bearer <token>)',
    );
  }
  lines.push('', 'Borra este archivo cuando hayas guardado las credenciales en un lugar seguro.', '');
  return lines.join('\n');
}

/**
 * SPEC §18's first run: on a database without accounts, the first ADMIN (and a kiosk device of
 * the default branch when no KIOSK_API_KEY is set, SPEC §17), written to `credenciales-iniciales.txt` in the
 * data folder. Null when the database already has accounts.
 */
export async function runFirstStart(deps: {
  accounts: AccountService;
  devices: DeviceService;
  email: string;
  kioskBranch: string | null;
  dir: string;
  logger: Logger;
}): Promise<FirstRunCredentials | null> {
  const created = await deps.accounts.bootstrap({
    email: deps.email,
    kioskBranch: deps.kioskBranch,
    kioskDevice: async (tx, branch, by) =>
      (await deps.devices.createInTransaction(tx, branch, { kind: 'KIOSK', name: FIRST_KIOSK_NAME, printer: null }, by)).token,
  });
  if (!created) return null;
  const file = path.join(path.resolve(deps.dir), CREDENTIALS_FILE_NAME);
  const credentials = { ...created, kioskBranch: created.kioskToken ? deps.kioskBranch : null };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, credentialsText(credentials, null), { mode: 0o600 });
  // An older file of the same name keeps its mode on overwrite: make sure.
  await chmod(file, 0o600);
  deps.logger.warn(
    { email: created.email, archivo: file, totem: credentials.kioskBranch },
    'primer inicio: se creó la cuenta ADMIN inicial' + (created.kioskToken ? ' y un dispositivo de tótem' : '') + '; las credenciales están en el archivo (modo 0600)',
  );
  return { ...credentials, file };
}
