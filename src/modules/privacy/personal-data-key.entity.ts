import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { oneOf } from '../../db/checks.js';

export const KEY_PURPOSES = ['CIFRADO', 'INDICE_CIEGO'] as const;

/**
 * One row per key that protects data in this database: for an encryption key, a fixed text
 * encrypted under it; for the blind-index key, a fixed text's HMAC. At start the app checks its
 * keys against these rows, so a wrong or missing key stops it with a clear message instead of
 * answering wrongly (a wrong blind-index key would find nobody and let duplicates through).
 */
export const PersonalDataKey = defineEntity({
  name: 'PersonalDataKey',
  tableName: 'personal_data_key',
  properties: {
    keyId: p.string().length(40).primary(),
    purpose: p.string().length(20),
    checkValue: p.text(),
    createdAt: createdAtColumn(),
  },
  checks: [{ name: 'personal_data_key_purpose_check', expression: oneOf('purpose', KEY_PURPOSES) }],
});
