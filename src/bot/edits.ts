import { GrammyError, HttpError } from 'grammy';
import type { Logger } from '../logger.js';

/** Telegram's "400: message is not modified": the message already says this, so the edit is done. */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /message is not modified/i.test(error.description);
}

/** Why a Bot API call failed, in Telegram's words (or the network's), for a log line. */
export function telegramReason(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  if (error instanceof HttpError) return `red: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * An edit of a message the bot sent while handling an update: "not modified" is success; any other
 * refusal is logged with Telegram's reason (no chat id) and the update goes on, since its work is done.
 */
export async function editOrLog(edit: Promise<unknown>, logger: Logger, what: string): Promise<void> {
  try {
    await edit;
  } catch (error) {
    if (isNotModified(error)) return;
    logger.warn({ reason: telegramReason(error), edit: what }, 'no se pudo editar un mensaje del bot');
  }
}
