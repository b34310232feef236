import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';
import { Branch } from '../branches/branch.entity.js';

/** A Telegram chat and what its owner told the bot: their RUT, phone (both encrypted) and name. */
export const TelegramCustomer = defineEntity({
  name: 'TelegramCustomer',
  tableName: 'telegram_customer',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    chatId: p.bigint('number').unique('telegram_customer_chat_id_unique'),
    // Encrypted, with blind indexes for lookups (SPEC §14). The RUT the chat uses now: a claim, not a
    // proof (SPEC §22) — several chats may give the same RUT, and it links no ticket by itself.
    nationalIdEnc: p.text().nullable(),
    nationalIdBidx: p.blob().nullable().index('idx_telegram_customer_national_id_bidx'),
    phoneEnc: p.text().nullable(),
    phoneBidx: p.blob().nullable().index('idx_telegram_customer_phone_bidx'),
    name: p.string().length(100).nullable(),
    /** The branch this chat last took a number in: the bot's finder offers it first (SPEC §17). */
    lastBranch: () =>
      p.manyToOne(Branch).fieldName('last_branch_id').nullable().deleteRule('set null').updateRule('no action').index('idx_telegram_customer_last_branch_id'),
    /** When the bot last asked this chat which branch: text typed soon after is a branch search. */
    branchSearchAt: p.datetime().columnType('timestamp').nullable(),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  }),
});

/** The RUTs a chat registered (blind index only), so a chat uses at most MAX_RUTS_PER_CHAT in 30 days (SPEC §22). */
export const TelegramChatRut = defineEntity({
  name: 'TelegramChatRut',
  tableName: 'telegram_chat_rut',
  properties: (p) => ({
    chatId: p.bigint('number').primary().autoincrement(false),
    nationalIdBidx: p.blob().primary(),
    firstRegisteredAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
    lastRegisteredAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
  }),
});

/**
 * A RUT the customer's own identity provider vouched for (SPEC §22, OpenID Connect): that chat owns
 * every ticket of the RUT, kiosk ones included. Blind index and masked RUT only.
 */
export const TelegramVerifiedRut = defineEntity({
  name: 'TelegramVerifiedRut',
  tableName: 'telegram_verified_rut',
  properties: (p) => ({
    chatId: p.bigint('number').primary().autoincrement(false),
    // Only one chat holds a verified RUT: a newer verification takes it from the older chat.
    nationalIdBidx: p.blob().unique('telegram_verified_rut_national_id_bidx_unique'),
    maskedRut: p.string().length(20),
    issuer: p.string().length(255),
    verifiedAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
  }),
});

/**
 * A single-use "Verificar mi RUT" link the bot sent to a chat (SPEC §22): only its SHA-256 is kept;
 * opened once, within 15 minutes, it starts the sign-in at the customer's identity provider.
 */
export const RutVerificationLink = defineEntity({
  name: 'RutVerificationLink',
  tableName: 'rut_verification_link',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tokenHash: p.string().length(64).unique('rut_verification_link_token_hash_unique'),
    chatId: p.bigint('number'),
    createdAt: p.datetime().columnType('timestamp'),
    expiresAt: p.datetime().columnType('timestamp'),
    usedAt: p.datetime().columnType('timestamp').nullable(),
  }),
});
