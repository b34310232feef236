import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Files that hold a secret (the embedded server's password, the personal-data keys, the pointer to
 * the embedded server's temporary folder) are trusted only when this process's user owns them and
 * nobody else can read them (SPEC §22): a file planted by another local user, or one left open to
 * others, is refused with a message naming it.
 */
export const privateFileTexts = {
  foreign: (file: string, uid: number, mine: number): string =>
    `El archivo ${file} es de otro usuario (uid ${uid}, la app corre como uid ${mine}); no se usa porque otra persona ` +
    'pudo haberlo puesto ahí. Revisa quién lo creó y bórralo o devuélvelo al usuario de la app.',
  loose: (file: string, mode: number): string =>
    `El archivo ${file} lo pueden leer o escribir otros usuarios (permisos ${mode.toString(8).padStart(3, '0')}); ` +
    `no se usa. Ciérralo con: chmod 600 ${file}`,
  notFile: (file: string): string => `${file} no es un archivo común (¿un enlace simbólico?); no se usa.`,
  folderForeign: (dir: string, uid: number): string =>
    `La carpeta ${dir} es de otro usuario (uid ${uid}) o no es una carpeta privada (0700); no se usa porque otra ` +
    'persona pudo haberla creado.',
} as const;

export class PrivateFileError extends Error {
  override readonly name = 'PrivateFileError';
}

/** The uid this process runs as, or null where there are none (Windows). */
export function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

/**
 * The text of a private file, or null when it does not exist. Opened without following a symbolic
 * link and checked on the open handle, so the file read is the file checked.
 */
export async function readPrivateFile(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new PrivateFileError(privateFileTexts.notFile(file));
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PrivateFileError(privateFileTexts.notFile(file));
    const mine = currentUid();
    if (mine !== null) {
      if (info.uid !== mine) throw new PrivateFileError(privateFileTexts.foreign(file, info.uid, mine));
      if (info.mode & 0o077) throw new PrivateFileError(privateFileTexts.loose(file, info.mode & 0o777));
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
