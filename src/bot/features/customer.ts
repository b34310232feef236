import { Composer } from 'grammy';
import { normalisePhone, maskPhone } from '../../domain/phone.js';
import { isDomainError } from '../../errors.js';
import { parseTicketPayload } from '../../modules/customers/customer.service.js';
import { branchKey, parseCallback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import { telegramOrigin, type BotDeps } from '../deps.js';
import { replyForError } from '../errors.js';
import { branchKeyboard, cancelKeyboard, contactKeyboard, mainKeyboard, preferentialKeyboard, queueKeyboard } from '../keyboards.js';
import { BUTTONS, texts } from '../texts.js';
import { offerComeBack } from './come-back.js';

const html = { parse_mode: 'HTML' as const };

/** What a customer does in the bot: start, RUT, phone, take a number, follow it, cancel it. */
export function customerFeature(deps: BotDeps): Composer<BotContext> {
  const { services, logger } = deps;
  const composer = new Composer<BotContext>();
  const chat = composer.chatType('private');

  chat.command('start', async (ctx) => {
    await services.customers.touch(ctx.chat.id, ctx.from.first_name);
    const codigo = ctx.match ? parseTicketPayload(ctx.match) : null;
    if (ctx.match && !codigo) {
      await ctx.reply(texts.ticketLinkUnknown, { reply_markup: mainKeyboard() });
      return;
    }
    if (codigo) {
      try {
        await services.customers.linkTicket(ctx.chat.id, codigo);
        const ticket = await services.tickets.getByCodigo(codigo);
        await ctx.reply(texts.ticketLinked(ticket.numero), { ...html, reply_markup: mainKeyboard() });
        await sendStatus(ctx, deps, codigo);
      } catch (error) {
        await ctx.reply(isDomainError(error) ? texts.ticketLinkUnknown : replyForError(error, logger), {
          reply_markup: mainKeyboard(),
        });
      }
      return;
    }
    await ctx.reply(texts.welcome(ctx.from.first_name), { ...html, reply_markup: mainKeyboard() });
  });

  chat.command(['ayuda', 'help'], (ctx) => ctx.reply(texts.help, { ...html, reply_markup: mainKeyboard() }));
  chat.hears(BUTTONS.help, (ctx) => ctx.reply(texts.help, { ...html, reply_markup: mainKeyboard() }));

  const registerRut = (ctx: BotContext) => ctx.conversation.enter('registerRut');
  chat.command('rut', registerRut);
  chat.hears(BUTTONS.rut, registerRut);

  chat.command('telefono', (ctx) => ctx.reply(texts.askPhone, { reply_markup: contactKeyboard() }));
  chat.on('message:contact', async (ctx) => {
    const contact = ctx.message.contact;
    // Only the user's own number: anyone could forward someone else's contact card.
    if (contact.user_id !== ctx.from.id) {
      await ctx.reply(texts.phoneNotOwn, { reply_markup: mainKeyboard() });
      return;
    }
    const phone = normalisePhone(contact.phone_number.startsWith('+') ? contact.phone_number : `+${contact.phone_number}`);
    if (!phone) {
      await ctx.reply(texts.phoneInvalid, { reply_markup: mainKeyboard() });
      return;
    }
    await services.customers.setPhone(ctx.chat.id, phone, ctx.from.first_name);
    await ctx.reply(texts.phoneSaved(maskPhone(phone)), { ...html, reply_markup: mainKeyboard() });
  });

  const takeNumber = async (ctx: BotContext) => {
    const customer = await services.customers.get(ctx.chat!.id);
    if (!customer?.nationalId) {
      await ctx.reply(texts.needRut, { ...html, reply_markup: mainKeyboard() });
      return;
    }
    // One active ticket per chat (SPEC §22): the chat's own, never a typed RUT's.
    const active = await services.customers.activeTicketCodigo(ctx.chat!.id);
    if (active) {
      const ticket = await services.tickets.getByCodigo(active);
      await ctx.reply(texts.activeTicket(ticket.numero), { ...html, reply_markup: mainKeyboard() });
      return;
    }
    const branches = await services.supervision.branches();
    if (branches.length === 1) {
      await showQueues(ctx, deps, branches[0]!, false);
      return;
    }
    await ctx.reply(texts.chooseBranch, { reply_markup: branchKeyboard(branches) });
  };
  chat.command('tomar', takeNumber);
  chat.hears(BUTTONS.take, takeNumber);

  const myTurn = async (ctx: BotContext) => {
    const codigo = await services.customers.activeTicketCodigo(ctx.chat!.id);
    if (!codigo) {
      await ctx.reply(texts.noActiveTicket, { ...html, reply_markup: mainKeyboard() });
      return;
    }
    await sendStatus(ctx, deps, codigo);
  };
  chat.command('turno', myTurn);
  chat.hears(BUTTONS.myTurn, myTurn);

  const cancel = async (ctx: BotContext) => {
    const codigo = await services.customers.activeTicketCodigo(ctx.chat!.id);
    const ticket = codigo ? await services.tickets.getByCodigo(codigo) : null;
    // A called customer who has not reached the desk may still give up (a walkout, SPEC §12).
    const cancellable = ticket && (ticket.status === 'EN_ESPERA' || ticket.status === 'PROXIMO' || (ticket.status === 'ATENDIENDO' && !ticket.serviceStartedAt));
    if (!ticket || !cancellable) {
      await ctx.reply(ticket ? texts.cancelTooLate : texts.noActiveTicket, { ...html, reply_markup: mainKeyboard() });
      return;
    }
    const ticketId = await services.tickets.idOf(ticket.identificador);
    await ctx.reply(texts.confirmCancel(ticket.numero), { ...html, reply_markup: cancelKeyboard(ticketId) });
  };
  chat.command('cancelar', cancel);
  chat.hears(BUTTONS.cancel, cancel);

  // "¿Cómo te atendimos?" (SPEC §12): once per ticket, only for the chat the ticket belongs to.
  chat.callbackQuery(/^rt:/, async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    const ticket = data?.kind === 'rating' ? await services.tickets.findOwnedBy(ctx.chat.id, data.ticketId) : null;
    if (data?.kind !== 'rating' || !ticket) {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    try {
      const rated = await services.floor.rate(data.ticketId, data.score, telegramOrigin(ctx.from.id));
      await ctx.answerCallbackQuery();
      await ctx.editMessageText(texts.ratingThanks(rated.numero, rated.rating), html);
    } catch (error) {
      const already = isDomainError(error) && error.code === 'EVALUACION_REGISTRADA';
      await ctx.answerCallbackQuery({ text: already ? texts.ratingAlready : replyForError(error, logger).replace(/<[^>]+>/g, '') });
      if (already) await ctx.editMessageReplyMarkup().catch(() => {});
    }
  });

  chat.callbackQuery(/^(tk|cx):/, async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    if (!data) {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    if (data.kind === 'preferential-menu' || data.kind === 'preferential') {
      const branch = (await services.supervision.branches()).find((b) => branchKey(b) === data.branchKey);
      if (!branch) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        return;
      }
      await ctx.answerCallbackQuery();
      if (data.kind === 'preferential-menu') {
        await ctx.editMessageText(texts.choosePreferential, { reply_markup: preferentialKeyboard(branch) });
        return;
      }
      const figures = await services.supervision.queueFigures(branch);
      await ctx.editMessageText(texts.chooseQueuePreferential(branch, data.preferente), {
        ...html,
        reply_markup: queueKeyboard(branch, figures, data.preferente),
      });
      return;
    }
    if (data.kind === 'branch' || data.kind === 'queue') {
      const branch = (await services.supervision.branches()).find((b) => branchKey(b) === data.branchKey);
      if (!branch) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        return;
      }
      if (data.kind === 'branch') {
        await ctx.answerCallbackQuery();
        await showQueues(ctx, deps, branch, true);
        return;
      }
      const customer = await services.customers.get(ctx.chat.id);
      if (!customer?.nationalId) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        await ctx.reply(texts.needRut, html);
        return;
      }
      try {
        await services.tickets.takeTicket(
          {
            nationalId: customer.nationalId,
            telefono: customer.phone,
            branchOffice: branch,
            queueType: data.queue,
            atencionPreferente: data.preferente,
          },
          telegramOrigin(ctx.from.id),
          undefined,
          { chatId: ctx.chat.id },
        );
        await ctx.answerCallbackQuery();
        await ctx.editMessageText(texts.taking(data.queue, branch), html);
      } catch (error) {
        await ctx.answerCallbackQuery();
        await ctx.editMessageText(replyForError(error, logger), html);
      }
      return;
    }
    if (data.kind === 'cancel') {
      const ticket = await services.tickets.findOwnedBy(ctx.chat.id, data.ticketId);
      if (!ticket) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        return;
      }
      await ctx.answerCallbackQuery();
      if (!data.confirm) {
        await ctx.editMessageText(texts.cancelKept);
        return;
      }
      try {
        await services.tickets.cancel(ticket.identificador, telegramOrigin(ctx.from.id));
        await ctx.editMessageText(texts.cancelled(ticket.numero), html);
      } catch (error) {
        await ctx.editMessageText(replyForError(error, logger), html);
      }
    }
  });

  return composer;
}

async function showQueues(ctx: BotContext, deps: BotDeps, branch: string, edit: boolean): Promise<void> {
  const figures = await deps.services.supervision.queueFigures(branch);
  const text = texts.chooseQueue(branch);
  const markup = { ...html, reply_markup: queueKeyboard(branch, figures) };
  if (edit) await ctx.editMessageText(text, markup);
  else await ctx.reply(text, markup);
}

/** Sends "Mi turno" and remembers the message so the bot keeps it current as the line moves. */
export async function sendStatus(ctx: BotContext, deps: BotDeps, codigo: string): Promise<void> {
  const ticket = await deps.services.tickets.getByCodigo(codigo);
  const text = texts.status(ticket);
  const message = await ctx.reply(text, html);
  const ticketId = await deps.services.tickets.idOf(codigo);
  await deps.services.customers.saveStatusMessage(ctx.chat!.id, message.message_id, ticketId, text);
  await offerComeBack(ctx, ticket, ticketId);
}
