import { Composer } from 'grammy';
import type { AdvisorView } from '../../modules/advisors/advisor.service.js';
import { parseCallback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import { telegramOrigin, type BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { panelKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

const html = { parse_mode: 'HTML' as const };

/**
 * Advisors work their queue from Telegram. Every command and every button press looks the sender
 * up again: a forwarded panel is useless in a stranger's hands.
 */
export function advisorFeature(deps: BotDeps): Composer<BotContext> {
  const { services, logger } = deps;
  const composer = new Composer<BotContext>();
  const chat = composer.chatType('private');

  chat.command('vincular', async (ctx) => {
    const code = ctx.match.trim();
    if (!/^[A-Za-z0-9]{6,12}$/.test(code)) {
      await ctx.reply(texts.linkUsage, html);
      return;
    }
    try {
      const advisor = await services.advisors.linkTelegram(code, ctx.from.id);
      await ctx.reply(texts.linked(advisor), html);
    } catch {
      await ctx.reply(texts.linkBad, html);
    }
  });

  chat.command('panel', async (ctx) => {
    const advisor = await services.advisors.findByTelegramUser(ctx.from.id);
    if (!advisor) {
      await ctx.reply(texts.notAdvisor, html);
      return;
    }
    await ctx.reply(texts.panel(advisor), { ...html, reply_markup: panelKeyboard() });
  });

  composer.callbackQuery(/^adv:/, async (ctx) => {
    const advisor = await services.advisors.findByTelegramUser(ctx.from.id);
    const data = parseCallback(ctx.callbackQuery.data);
    if (!advisor) {
      await ctx.answerCallbackQuery({ text: 'Solo el asesor vinculado puede usar este panel.', show_alert: true });
      return;
    }
    if (!data) {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    let updated: AdvisorView = advisor;
    try {
      if (data.kind === 'advisor-status') {
        updated = await services.advisors.setStatus(advisor.id, data.status, 'desde Telegram', telegramOrigin(ctx.from.id));
      } else if (data.kind === 'advisor-finish') {
        updated = await services.advisors.finishCurrent(advisor.id, data.outcome, { actor: advisor.email });
      } else {
        updated = await services.advisors.get(advisor.id);
      }
      await ctx.answerCallbackQuery({ text: texts.advisorDone });
    } catch (error) {
      await ctx.answerCallbackQuery({ text: replyForError(error, logger).replace(/<[^>]+>/g, ''), show_alert: true });
      updated = await services.advisors.get(advisor.id);
    }
    await ctx.editMessageText(texts.panel(updated), { ...html, reply_markup: panelKeyboard() }).catch(() => {
      // "message is not modified" when nothing changed: nothing to do
    });
  });

  return composer;
}
