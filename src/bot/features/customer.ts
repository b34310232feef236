import { Composer } from 'grammy';
import { normalisePhone, maskPhone } from '../../domain/phone.js';
import { isDomainError } from '../../errors.js';
import { SEARCH_MAX_CHARS, SEARCH_MIN_CHARS, type BranchChoice } from '../../modules/branches/branch-finder.js';
import { parseCallback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import { telegramOrigin, type BotDeps } from '../deps.js';
import { editOrLog } from '../edits.js';
import { replyForError } from '../errors.js';
import {
  branchKeyboard,
  cancelKeyboard,
  contactKeyboard,
  mainKeyboard,
  nearestKeyboard,
  preferentialKeyboard,
  queueKeyboard,
  verifyRutKeyboard,
} from '../keyboards.js';
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
    // The tótem's single-use tokens were answered by the turno feature; any other payload (the old
    // reusable `t_<reference>` links included, SPEC §19 and §22) links nothing.
    if (ctx.match) {
      await ctx.reply(texts.ticketLinkUnknown, { reply_markup: mainKeyboard() });
      return;
    }
    await ctx.reply(texts.welcome(ctx.from.first_name), { ...html, reply_markup: mainKeyboard() });
  });

  chat.command(['ayuda', 'help'], (ctx) => ctx.reply(texts.help, { ...html, reply_markup: mainKeyboard() }));
  chat.hears(BUTTONS.help, (ctx) => ctx.reply(texts.help, { ...html, reply_markup: mainKeyboard() }));

  const registerRut = (ctx: BotContext) => ctx.conversation.enter('registerRut');
  chat.command('rut', registerRut);
  chat.hears(BUTTONS.rut, registerRut);

  // SPEC §22: "Verificar mi RUT" — a single-use link, bound to this chat, to the customer's identity provider.
  const verifyRut = async (ctx: BotContext & { chat: { id: number }; from: { first_name: string } }) => {
    if (!services.rutVerification || !deps.config.publicUrl) {
      await ctx.reply(texts.verifyRutNotOffered, { reply_markup: mainKeyboard() });
      return;
    }
    await services.customers.touch(ctx.chat.id, ctx.from.first_name);
    const token = await services.customers.createRutVerificationLink(ctx.chat.id);
    await ctx.reply(texts.verifyRutLink, {
      reply_markup: verifyRutKeyboard(`${deps.config.publicUrl}/verificar-rut/${token}`),
      link_preview_options: { is_disabled: true },
    });
  };
  chat.command('verificar', verifyRut);
  chat.hears(BUTTONS.verifyRut, verifyRut);

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
    const only = await services.branchFinder.onlyBranch();
    if (only) {
      await showQueues(ctx, deps, only);
      return;
    }
    // SPEC §17: never a list of every branch. The location button or a typed name; the last branch first.
    await services.branchFinder.startSearch(ctx.chat!.id);
    await ctx.reply(texts.chooseBranch, { ...html, reply_markup: mainKeyboard() });
    const last = await services.branchFinder.lastOf(ctx.chat!.id);
    if (last) await ctx.reply(texts.lastBranch, { reply_markup: branchKeyboard([last]) });
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
  // The nearest branches to a shared location (SPEC §17), with the live wait of their queues.
  chat.on('message:location', async (ctx) => {
    const { latitude, longitude } = ctx.message.location;
    const nearest = await services.branchFinder.nearest(latitude, longitude);
    if (nearest.length === 0) {
      await ctx.reply(texts.noNearbyBranches, { reply_markup: mainKeyboard() });
      return;
    }
    await services.branchFinder.startSearch(ctx.chat.id);
    await ctx.reply(texts.nearest(nearest), { ...html, reply_markup: nearestKeyboard(nearest) });
  });

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
      if (already) await editOrLog(ctx.editMessageReplyMarkup(), logger, 'botones de la encuesta');
    }
  });

  chat.callbackQuery(/^(tk|cx):/, async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    if (!data) {
      await ctx.answerCallbackQuery({ text: texts.stale });
      return;
    }
    if (data.kind === 'preferential-menu' || data.kind === 'preferential') {
      const branch = await services.branchFinder.byId(data.branchId);
      if (!branch) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        return;
      }
      await ctx.answerCallbackQuery();
      if (data.kind === 'preferential-menu') {
        await ctx.editMessageText(texts.choosePreferential, { reply_markup: preferentialKeyboard(branch.id) });
        return;
      }
      await ctx.editMessageText(texts.chooseQueuePreferential(branch.name, data.preferente), {
        ...html,
        reply_markup: queueKeyboard(branch.id, await offeredFigures(deps, branch), data.preferente),
      });
      return;
    }
    if (data.kind === 'branch' || data.kind === 'queue') {
      const branch = await services.branchFinder.byId(data.branchId);
      if (!branch) {
        await ctx.answerCallbackQuery({ text: texts.stale });
        return;
      }
      if (data.kind === 'branch') {
        await ctx.answerCallbackQuery();
        // A list of several branches stays; the chosen one's queues come as a new message.
        await showQueues(ctx, deps, branch);
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
            branchOffice: branch.name,
            queueType: data.queue,
            atencionPreferente: data.preferente,
          },
          telegramOrigin(ctx.from.id),
          undefined,
          { chatId: ctx.chat.id },
        );
        await services.branchFinder.remember(ctx.chat.id, branch.id);
        await ctx.answerCallbackQuery();
        await ctx.editMessageText(texts.taking(data.queue, branch.name), html);
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

  // Text typed after "¿En qué sucursal?" (SPEC §17): part of a name or comuna, accents and case aside.
  // Anything else (no search asked for, a command, a button's emoji) goes on to the fallback.
  chat.on('message:text', async (ctx, next) => {
    const text = ctx.message.text.trim();
    if (!/^[\p{L}\p{N}]/u.test(text) || !(await services.branchFinder.searching(ctx.chat.id))) return next();
    const query = text.replace(/\s+/g, ' ');
    if (query.length < SEARCH_MIN_CHARS) {
      await ctx.reply(texts.searchTooShort, { reply_markup: mainKeyboard() });
      return;
    }
    const [found, last] = await Promise.all([services.branchFinder.search(query), services.branchFinder.lastOf(ctx.chat.id)]);
    if (found.branches.length === 0) {
      await ctx.reply(texts.searchNothing(query.slice(0, SEARCH_MAX_CHARS)), { ...html, reply_markup: mainKeyboard() });
      return;
    }
    // The chat's last branch first when it is among those found.
    const branches = last ? [...found.branches.filter((b) => b.id === last.id), ...found.branches.filter((b) => b.id !== last.id)] : found.branches;
    await ctx.reply(texts.searchResults(query.slice(0, SEARCH_MAX_CHARS), branches, found.more), {
      ...html,
      reply_markup: branchKeyboard(branches),
    });
  });

  return composer;
}

/** The queues the branch offers (SPEC §17), with their live figures. */
async function offeredFigures(deps: BotDeps, branch: BranchChoice) {
  const figures = await deps.services.supervision.queueFigures(branch.name);
  return figures.filter((f) => branch.queues.includes(f.queueType));
}

/** The branch's queues with their waits; a closed branch says when it opens instead (SPEC §17). */
async function showQueues(ctx: BotContext, deps: BotDeps, branch: BranchChoice): Promise<void> {
  let text: string;
  let markup = {};
  if (branch.closedMessage) {
    text = texts.branchClosed(branch.name, branch.closedMessage);
  } else if (branch.queues.length === 0) {
    text = texts.branchWithoutQueues(branch.name);
  } else {
    text = texts.chooseQueue(branch.name);
    markup = { reply_markup: queueKeyboard(branch.id, await offeredFigures(deps, branch)) };
  }
  await ctx.reply(text, { ...html, ...markup });
}

/** Sends "Mi turno" and remembers the message so the bot keeps it current as the line moves. */
export async function sendStatus(ctx: BotContext, deps: BotDeps, codigo: string): Promise<void> {
  const ticket = await deps.services.tickets.getByCodigo(codigo);
  const text = texts.status(ticket);
  const message = await ctx.reply(text, html);
  const ticketId = await deps.services.tickets.idOf(codigo);
  await deps.services.statusMessages.save(ctx.chat!.id, message.message_id, ticketId, text);
  await offerComeBack(ctx, ticket, ticketId);
}
