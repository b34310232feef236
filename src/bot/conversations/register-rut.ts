import type { Conversation } from '@grammyjs/conversations';
import { maskRut, parseRut } from '../../domain/rut.js';
import { isDomainError } from '../../errors.js';
import type { BotContext, ConversationContext } from '../context.js';
import type { BotDeps } from '../deps.js';
import { mainKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

const CANCEL_WORDS = /^\/?(cancelar|salir|cancel)$/i;

/**
 * Registers or changes the chat's RUT: asks, re-asks on a bad RUT, can be left with "cancelar".
 * Side effects go through `conversation.external` so replays do not repeat them.
 */
export function registerRutConversation(deps: BotDeps) {
  return async function registerRut(
    conversation: Conversation<BotContext, ConversationContext>,
    ctx: ConversationContext,
  ): Promise<void> {
    await ctx.reply(texts.askRut, { parse_mode: 'HTML' });
    for (;;) {
      const answer = await conversation.waitFor('message:text', {
        otherwise: (other) => other.reply(texts.rutOnlyText, { parse_mode: 'HTML' }),
      });
      const text = answer.message.text.trim();
      if (CANCEL_WORDS.test(text)) {
        await answer.reply(texts.rutCancelled, { reply_markup: mainKeyboard() });
        return;
      }
      if (text.startsWith('/')) {
        // Another command: leave the conversation and let it run.
        await conversation.halt({ next: true });
      }
      const rut = parseRut(text);
      if (!rut.ok) {
        await answer.reply(texts.badRut(rut.reason), { parse_mode: 'HTML' });
        continue;
      }
      const chatId = answer.chat.id;
      const name = answer.from.first_name;
      // Returns only an outcome word: what an external call returns is kept in the conversation's replay state.
      const outcome = await conversation.external(async (): Promise<'saved' | 'too-many'> => {
        try {
          const { otherChats } = await deps.services.customers.setRut(chatId, rut.rut, name);
          // SPEC §22: the chats that gave this RUT before keep everything, and are told.
          for (const other of otherChats) {
            await answer.api
              .sendMessage(other, texts.rutRegisteredElsewhere)
              .catch((error: unknown) => deps.logger.warn({ err: error }, 'aviso de RUT registrado en otro chat no enviado'));
          }
          return 'saved';
        } catch (error) {
          if (isDomainError(error) && error.code === 'LIMITE_RUT_CHAT') return 'too-many';
          throw error;
        }
      });
      if (outcome === 'too-many') {
        await answer.reply(texts.rutTooMany(deps.config.chats.maxRutsPerChat), { parse_mode: 'HTML', reply_markup: mainKeyboard() });
        return;
      }
      await answer.reply(texts.rutSaved(maskRut(rut.rut)), { parse_mode: 'HTML', reply_markup: mainKeyboard() });
      return;
    }
  };
}
