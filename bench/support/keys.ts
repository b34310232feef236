import { randomBytes } from 'node:crypto';

/** A KIOSK_API_KEY / ADMIN_API_KEY for a benchmark's app: random, and past the 32 characters config.ts wants (SPEC §22). */
export function benchKey(label: string): string {
  return `bench-${label}-${randomBytes(16).toString('hex')}`;
}
