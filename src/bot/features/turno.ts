import { Composer } from 'grammy';
import { isDomainError } from '../../errors.js';
import { isLinkToken, type RedeemedLink } from '../../modules/ticket-links/ticket-link.service.js';
import type { BotContext } from '../context.js';
import { telegramOrigin, type BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { mainKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';
import { sendStatus } from './customer.js';

const html = { parse_mode: 'HTML' as const };

/**
 * The tótem's ways into the bot (SPEC §19): `/start <token>` from the ticket's QR and `/turno CODE`
 * from the printed short code. Each links the ticket to this chat once; anything else passes on
 * (`/start` alone or with any other payload, `/turno` without a code, to "Mi turno").
 */
export function turnoFeature(deps: BotDeps): Composer<BotContext> {
  const { services, logger } = deps;
  const composer = new Composer<BotContext>();
  const chat = composer.chatType('private');

  const link = async (ctx: BotContext, redeem: () => Promise<RedeemedLink>): Promise<void> => {
    try {
      await services.customers.touch(ctx.chat!.id, ctx.from?.first_name ?? null);
      const linked = await redeem();
      // The same upsert, then its waiting messages are released and the dispatcher woken.
      await services.customers.linkTicket(ctx.chat!.id, linked.codigoReferencia);
      await ctx.reply(texts.ticketLinked(linked.numero), { ...html, reply_markup: mainKeyboard() });
      await sendStatus(ctx, deps, linked.codigoReferencia);
    } catch (error) {
      await ctx.reply(linkRefusal(error) ?? replyForError(error, logger), { ...html, reply_markup: mainKeyboard() });
    }
  };

  chat.command('start', async (ctx, next) => {
    if (!isLinkToken(ctx.match)) return next();
    await link(ctx, () => services.ticketLinks.redeemToken(ctx.match, ctx.chat.id, telegramOrigin(ctx.from.id)));
  });

  chat.command('turno', async (ctx, next) => {
    if (ctx.match.trim() === '') return next();
    await link(ctx, () => services.ticketLinks.redeemShortCode(ctx.match, ctx.chat.id, telegramOrigin(ctx.from.id)));
  });

  return composer;
}

function linkRefusal(error: unknown): string | null {
  if (!isDomainError(error)) return null;
  switch (error.code) {
    case 'ENLACE_NO_VALIDO':
      return error.details.malformado === true ? texts.shortCodeInvalid : texts.ticketLinkUnknown;
    case 'ENLACE_YA_USADO': {
      const numero = String(error.details.numero ?? '');
      return error.details.mismoChat === true ? texts.linkAlreadyHere(numero) : texts.linkAlreadyUsed(numero);
    }
    case 'ENLACE_VENCIDO':
      return texts.linkExpired;
    default:
      return null;
  }
}
