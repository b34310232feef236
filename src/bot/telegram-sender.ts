import { Api, GrammyError, HttpError } from 'grammy';
import type { EditOutcome, MessageSender, SendOutcome } from '../modules/notifications/dispatcher.js';
import { isNotModified } from './edits.js';

/** Errors that will not go away by trying again: the user blocked the bot, the chat is gone. */
const PERMANENT_400 = /chat not found|user is deactivated|peer_id_invalid|can't parse entities|message is too long/i;

/**
 * What a failed send means for the message (SPEC §15). Only an answer about the chat or the
 * message spends attempts: 403 (blocked) and the 400s above fail at once, any other 400 is retried
 * on the attempt schedule. A 429 waits `retry_after`; a 5xx, a network error or any other answer
 * (401, 404, 409: the bot's or Telegram's problem, not the chat's) never spends an attempt.
 */
export function classifySendError(error: unknown): SendOutcome & { ok: false } {
  if (error instanceof GrammyError) {
    const description = `${error.error_code}: ${error.description}`;
    if (error.error_code === 429) {
      return { ok: false, kind: 'rate_limited', description, retryAfterSeconds: error.parameters.retry_after ?? 1 };
    }
    if (error.error_code === 403 || (error.error_code === 400 && PERMANENT_400.test(error.description))) {
      return { ok: false, kind: 'permanent', description };
    }
    if (error.error_code === 400) return { ok: false, kind: 'transient', description };
    return { ok: false, kind: 'unavailable', description, outage: error.error_code >= 500 };
  }
  if (error instanceof HttpError) return { ok: false, kind: 'unavailable', description: `red: ${error.message}`, outage: true };
  return { ok: false, kind: 'unavailable', description: error instanceof Error ? error.message : String(error) };
}

/** The edited message is gone for good: deleted, or the chat blocked the bot (403). */
const GONE_400 = /message to edit not found|chat not found|message can't be edited|peer_id_invalid|user is deactivated/i;

/**
 * What a failed edit of a "Mi turno" message means (SPEC §15): "not modified" is success; a 403 or
 * a 400 saying the message or chat is gone ends the following; any other 400 gives up this text;
 * a 429, a 5xx or a network error is retried later, the message kept.
 */
export function classifyEditError(error: unknown): EditOutcome {
  if (isNotModified(error)) return { ok: true };
  if (error instanceof GrammyError && (error.error_code === 403 || (error.error_code === 400 && GONE_400.test(error.description)))) {
    return { ok: false, kind: 'gone', description: `${error.error_code}: ${error.description}` };
  }
  const outcome = classifySendError(error);
  switch (outcome.kind) {
    case 'permanent':
    case 'transient':
      return { ok: false, kind: 'permanent', description: outcome.description };
    default:
      return outcome;
  }
}

/** Sends notifications with grammY's Api, bounded in time so a hung request cannot stall the queue. */
export function createTelegramSender(
  token: string,
  apiRoot: string,
  { paidBroadcast = false }: { paidBroadcast?: boolean } = {},
): MessageSender {
  const api = new Api(token, { apiRoot, timeoutSeconds: 10 });
  return {
    async send(chatId, html, buttons) {
      try {
        const message = await api.sendMessage(chatId, html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(buttons ? { reply_markup: { inline_keyboard: buttons } } : {}),
          // TELEGRAM_PAID_BROADCAST: beyond the free ~30/s, paid by the bank (SPEC §16).
          ...(paidBroadcast ? { allow_paid_broadcast: true } : {}),
        });
        return { ok: true, messageId: message.message_id };
      } catch (error) {
        return classifySendError(error);
      }
    },
    async edit(chatId, messageId, html) {
      try {
        await api.editMessageText(chatId, messageId, html, { parse_mode: 'HTML' });
        return { ok: true };
      } catch (error) {
        return classifyEditError(error);
      }
    },
    async probe() {
      try {
        await api.getMe();
        return true;
      } catch (error) {
        // Any answer (even 401) means Telegram is up; no answer or a 5xx means it is not.
        return !(error instanceof HttpError || (error instanceof GrammyError && error.error_code >= 500));
      }
    },
  };
}
