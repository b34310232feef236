import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { mainKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

/** Whatever nobody else handled gets a way forward, never silence or a crash. */
export function fallbackFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.on('callback_query', (ctx) => ctx.answerCallbackQuery({ text: texts.stale }));
  composer.on('edited_message', () => {
    // Edits of old messages change nothing: ignore them quietly.
  });
  composer.chatType('private').on('message', (ctx) => ctx.reply(texts.didNotUnderstand, { reply_markup: mainKeyboard() }));
  return composer;
}
