import { Composer } from 'grammy';
import { isDomainError } from '../../errors.js';
import { parseCallback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import { telegramOrigin, type BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { eraseKeyboard, mainKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

const html = { parse_mode: 'HTML' as const };

/** The holder's rights in the bot (SPEC §14): /misdatos shows what is kept, /borrar erases it. */
export function privacyFeature(deps: BotDeps): Composer<BotContext> {
  const { services, logger } = deps;
  const composer = new Composer<BotContext>();
  const chat = composer.chatType('private');

  chat.command('misdatos', async (ctx) => {
    try {
      const data = await services.personas.chatData(ctx.chat.id);
      await ctx.reply(texts.myData(data), { ...html, reply_markup: mainKeyboard() });
    } catch (error) {
      await ctx.reply(replyForError(error, logger), { ...html, reply_markup: mainKeyboard() });
    }
  });

  chat.command('borrar', (ctx) => ctx.reply(texts.confirmErase, { ...html, reply_markup: eraseKeyboard() }));

  chat.callbackQuery(/^pd:/, async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    if (data?.kind !== 'erase') {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    await ctx.answerCallbackQuery();
    if (!data.confirm) {
      await ctx.editMessageText(texts.eraseKept);
      return;
    }
    try {
      const erasure = await services.personas.eraseChat(ctx.chat.id, telegramOrigin(ctx.from.id));
      await ctx.editMessageText(texts.erased(erasure.ticketsCancelled), html);
    } catch (error) {
      const text = isDomainError(error) && error.code === 'TICKET_NO_CANCELABLE' ? texts.eraseWhileServed : replyForError(error, logger);
      await ctx.editMessageText(text, html);
    }
  });

  return composer;
}
