import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger.js';
import type { AccountService } from './account.service.js';

export const CREDENTIALS_FILE_NAME = 'credenciales-iniciales.txt';

export interface FirstRunCredentials {
  email: string;
  password: string;
  /** The kiosk's bearer token for the default branch (null when KIOSK_API_KEY is set). */
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
    lines.push('', `Tótem de ${credentials.kioskBranch}: Authorization: Bearer ${credentials.kioskToken}`);
  }
  lines.push('', 'Borra este archivo cuando hayas guardado las credenciales en un lugar seguro.', '');
  return lines.join('\n');
}

/**
 * SPEC §18's first run: on a database without accounts, the first ADMIN (and a kiosk credential for
 * the default branch when no KIOSK_API_KEY is set), written to `credenciales-iniciales.txt` in the
 * data folder. Null when the database already has accounts.
 */
export async function runFirstStart(deps: {
  accounts: AccountService;
  email: string;
  kioskBranch: string | null;
  dir: string;
  logger: Logger;
}): Promise<FirstRunCredentials | null> {
  const created = await deps.accounts.bootstrap({ email: deps.email, kioskBranch: deps.kioskBranch });
  if (!created) return null;
  const file = path.join(path.resolve(deps.dir), CREDENTIALS_FILE_NAME);
  const credentials = { ...created, kioskBranch: created.kioskToken ? deps.kioskBranch : null };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, credentialsText(credentials, null), { mode: 0o600 });
  // An older file of the same name keeps its mode on overwrite: make sure.
  await chmod(file, 0o600);
  deps.logger.warn(
    { email: created.email, archivo: file, totem: credentials.kioskBranch },
    'primer inicio: se creó la cuenta ADMIN inicial' + (created.kioskToken ? ' y una credencial de tótem' : '') + '; las credenciales están en el archivo (modo 0600)',
  );
  return { ...credentials, file };
}
