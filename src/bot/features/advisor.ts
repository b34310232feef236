import { Composer, type InlineKeyboard } from 'grammy';
import { QUEUE_TYPES } from '../../domain/queue-types.js';
import { InvalidLinkCode, type AdvisorView } from '../../modules/advisors/advisor.service.js';
import { parseCallback, type Callback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import { DomainError } from '../../errors.js';
import type { Origin } from '../../modules/audit/audit.service.js';
import type { BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { editOrLog } from '../edits.js';
import { callKeyboard, panelKeyboard, pauseKeyboard, transferKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

const html = { parse_mode: 'HTML' as const };

/** What a button press leads to: a new panel, or a menu (pause reasons, transfer targets, numbers). */
type Screen = { text: string; keyboard: InlineKeyboard };

/**
 * Advisors work their queue from Telegram (SPEC §6, §12). Every command and every button press
 * looks the sender up again: a forwarded panel is useless in a stranger's hands. Each action goes
 * to the service floor; a refused one (stale button, too early a recall) is explained in an alert
 * and the panel is redrawn as things are now.
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
    let advisor: AdvisorView;
    try {
      advisor = await services.advisors.linkTelegram(code, ctx.from.id);
    } catch (error) {
      if (error instanceof InvalidLinkCode) {
        await ctx.reply(texts.linkBad, html);
        return;
      }
      // The database (or anything else) failed: the code was not spent, so it still works.
      logger.error({ err: error }, 'no se pudo vincular la cuenta de asesor: falla del sistema, no del código');
      await ctx.reply(texts.linkUnavailable, html);
      return;
    }
    await ctx.reply(texts.linked(advisor), html);
  });

  chat.command('panel', async (ctx) => {
    const advisor = await services.advisors.findByTelegramUser(ctx.from.id);
    if (!advisor) {
      await ctx.reply(texts.notAdvisor, html);
      return;
    }
    await ctx.reply(texts.panel(advisor), { ...html, reply_markup: panelKeyboard(advisor) });
  });

  const panel = (advisor: AdvisorView): Screen => ({ text: texts.panel(advisor), keyboard: panelKeyboard(advisor) });

  /** Carries out one press; returns what to show next. */
  const act = async (advisor: AdvisorView, data: Callback, actor: Origin): Promise<Screen> => {
    const { floor } = services;
    switch (data.kind) {
      case 'advisor-status':
        if (data.status === 'BUSY') return { text: texts.askPauseReason, keyboard: pauseKeyboard(floor.pauseReasons) };
        return panel(await floor.setStatus(advisor.id, data.status, 'desde Telegram', actor));
      case 'advisor-pause-menu':
        return { text: texts.askPauseReason, keyboard: pauseKeyboard(floor.pauseReasons) };
      case 'advisor-pause': {
        const reason = floor.pauseReasons[data.reasonIndex];
        if (reason === undefined) throw staleButton();
        return panel(await floor.setStatus(advisor.id, 'BUSY', reason, actor));
      }
      case 'advisor-finish':
        return panel(await floor.finishCurrent(advisor.id, data.outcome, actor, data.ticketId));
      case 'advisor-arrived':
        return panel(await floor.arrived(advisor.id, actor, data.ticketId));
      case 'advisor-recall':
        return panel(await floor.recall(advisor.id, actor, data.ticketId));
      case 'advisor-transfer-menu': {
        if (advisor.currentTicket?.id !== data.ticketId) throw staleButton();
        const all = await services.advisors.list(advisor.branchOffice);
        const served = new Set(all.flatMap((a) => a.queueTypes));
        const queues = QUEUE_TYPES.filter((q) => served.has(q) && q !== advisor.currentTicket?.queueType);
        const colleagues = all.filter((a) => a.id !== advisor.id && a.status !== 'OFFLINE').map((a) => ({ id: a.id, name: a.name }));
        if (queues.length === 0 && colleagues.length === 0) return { text: texts.noTransferTarget, keyboard: panelKeyboard(advisor) };
        return { text: texts.askTransfer(advisor.currentTicket.numero), keyboard: transferKeyboard(data.ticketId, queues, colleagues) };
      }
      case 'advisor-transfer-queue':
        return panel(
          await floor.transfer(advisor.id, { queueType: data.queue, advisorId: null, keepPlace: true, reason: null }, actor, data.ticketId),
        );
      case 'advisor-transfer-advisor':
        return panel(
          await floor.transfer(advisor.id, { queueType: null, advisorId: data.advisorId, keepPlace: true, reason: null }, actor, data.ticketId),
        );
      case 'advisor-call-menu': {
        const numeros = await services.supervision.waitingNumbers(advisor.branchOffice, advisor.queueTypes, 16);
        if (numeros.length === 0) return { text: texts.noOneWaiting, keyboard: panelKeyboard(advisor) };
        return { text: texts.askCallOther, keyboard: callKeyboard(numeros) };
      }
      case 'advisor-call':
        return panel(await floor.callOutOfOrder(advisor.id, data.numero, texts.calledOutOfOrderReason, actor));
      default:
        return panel(await services.advisors.get(advisor.id));
    }
  };

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
    let next: Screen;
    try {
      next = await act(advisor, data, { actor: advisor.email });
      await ctx.answerCallbackQuery({ text: texts.advisorDone });
    } catch (error) {
      await ctx.answerCallbackQuery({ text: replyForError(error, logger).replace(/<[^>]+>/g, ''), show_alert: true });
      next = panel(await services.advisors.get(advisor.id));
    }
    await editOrLog(ctx.editMessageText(next.text, { ...html, reply_markup: next.keyboard }), logger, 'panel del asesor');
  });

  return composer;
}

function staleButton(): DomainError {
  return new DomainError('TRANSICION_INVALIDA', texts.stale);
}
