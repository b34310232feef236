import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';

/** A Telegram chat and what its owner told the bot: their RUT, phone and name. */
export const TelegramCustomer = defineEntity({
  name: 'TelegramCustomer',
  tableName: 'telegram_customer',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    chatId: p.bigint('number').unique('telegram_customer_chat_id_unique'),
    nationalId: p.string().length(20).nullable().unique('telegram_customer_national_id_unique'),
    phone: p.string().length(20).nullable().index('idx_telegram_customer_phone'),
    name: p.string().length(100).nullable(),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  }),
});

export type TelegramCustomerEntity = InferEntity<typeof TelegramCustomer>;
