import { Composer, InlineKeyboard } from 'grammy';
import type { TicketView } from '../../modules/tickets/ticket.service.js';
import { COME_BACK_LEADS } from '../../modules/estimates/come-back.service.js';
import type { BotContext } from '../context.js';
import type { BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { texts } from '../texts.js';

/*
 * "Avísame cuando falten N minutos" (SPEC §13): offered under "Mi turno" while the ticket waits;
 * the queue job sends the PROXIMO notice when the remaining wait may reach N.
 */

const CALLBACK = /^cb:(\d{1,3}):(\d{1,15})$/;
const callbackFor = (minutes: number, ticketId: number) => `cb:${minutes}:${ticketId}`;

export const comeBackKeyboard = (ticketId: number): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const minutes of COME_BACK_LEADS) keyboard.text(texts.comeBackButton(minutes), callbackFor(minutes, ticketId)).row();
  return keyboard;
};

/** Under "Mi turno": the offer with its 10/20/30 buttons, for a ticket still waiting. */
export async function offerComeBack(ctx: BotContext, ticket: TicketView, ticketId: number): Promise<void> {
  if (ticket.status !== 'EN_ESPERA' && ticket.status !== 'PROXIMO') return;
  await ctx.reply(texts.comeBackOffer(COME_BACK_LEADS), { reply_markup: comeBackKeyboard(ticketId) });
}

export function comeBackFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType('private').callbackQuery(CALLBACK, async (ctx) => {
    const [, minutesText, idText] = CALLBACK.exec(ctx.callbackQuery.data)!;
    const minutes = Number(minutesText);
    const ticket = (COME_BACK_LEADS as readonly number[]).includes(minutes)
      ? await deps.services.tickets.findOwnedBy(ctx.chat.id, Number(idText))
      : null;
    if (!ticket) {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    await ctx.answerCallbackQuery();
    if (ticket.status !== 'EN_ESPERA' && ticket.status !== 'PROXIMO') {
      await ctx.editMessageText(texts.comeBackTooLate);
      return;
    }
    try {
      await deps.services.comeBack.request(Number(idText), minutes);
      await ctx.editMessageText(texts.comeBackSet(minutes), { parse_mode: 'HTML' });
    } catch (error) {
      await ctx.editMessageText(replyForError(error, deps.logger), { parse_mode: 'HTML' });
    }
  });
  return composer;
}
