import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';

/** A Telegram chat and what its owner told the bot: their RUT, phone (both encrypted) and name. */
export const TelegramCustomer = defineEntity({
  name: 'TelegramCustomer',
  tableName: 'telegram_customer',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    chatId: p.bigint('number').unique('telegram_customer_chat_id_unique'),
    // Encrypted, with blind indexes for lookups (SPEC §14): a RUT lives in one chat at most.
    nationalIdEnc: p.text().nullable(),
    nationalIdBidx: p.blob().nullable().unique('telegram_customer_national_id_bidx_unique'),
    phoneEnc: p.text().nullable(),
    phoneBidx: p.blob().nullable().index('idx_telegram_customer_phone_bidx'),
    name: p.string().length(100).nullable(),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  }),
});

export type TelegramCustomerEntity = InferEntity<typeof TelegramCustomer>;
