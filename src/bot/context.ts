import type { ConversationFlavor } from '@grammyjs/conversations';
import type { Context } from 'grammy';

/** The context of the outside middleware (features); conversations get a plain Context inside. */
export type BotContext = ConversationFlavor<Context>;
export type ConversationContext = Context;
