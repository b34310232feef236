import type { PersonalDataKind } from './cipher.js';

/** Every encrypted column of the schema, with its blind index: what rotation and erasure walk. */
export interface ProtectedColumn {
  table: 'ticket' | 'telegram_customer';
  enc: string;
  bidx: string;
  kind: PersonalDataKind;
  /** The plaintext column it replaced (SPEC §3's seed), encrypted by the one-time data step. */
  plaintext: string;
}

export const PROTECTED_COLUMNS: readonly ProtectedColumn[] = [
  { table: 'ticket', enc: 'national_id_enc', bidx: 'national_id_bidx', kind: 'rut', plaintext: 'national_id' },
  { table: 'ticket', enc: 'telefono_enc', bidx: 'telefono_bidx', kind: 'phone', plaintext: 'telefono' },
  { table: 'telegram_customer', enc: 'national_id_enc', bidx: 'national_id_bidx', kind: 'rut', plaintext: 'national_id' },
  { table: 'telegram_customer', enc: 'phone_enc', bidx: 'phone_bidx', kind: 'phone', plaintext: 'phone' },
];
