import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { Advisor } from './advisor.entity.js';

/** A one-time code that links an advisor to their Telegram account (`/vincular <code>`). Only its hash is kept. */
export const AdvisorLinkCode = defineEntity({
  name: 'AdvisorLinkCode',
  tableName: 'advisor_link_code',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    advisor: p.manyToOne(Advisor).fieldName('advisor_id').deleteRule('cascade').updateRule('no action'),
    codeHash: p.string().length(64).unique('advisor_link_code_code_hash_unique'),
    expiresAt: p.datetime().columnType('timestamp'),
    usedAt: p.datetime().columnType('timestamp').nullable(),
    usedByTelegramUserId: p.bigint('number').nullable(),
    createdAt: createdAtColumn(),
  },
});
