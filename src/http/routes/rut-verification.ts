import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { newBrowserBinding } from '../../modules/accounts/oidc.js';
import type { RutVerification } from '../../modules/customers/rut-verification.js';
import { texts } from '../../bot/texts.js';
import { errorPage, messagePage, PAGE_TEXTS } from '../pages.js';
import { bindingCookieOf, clearBindingCookie, publicBase, setBindingCookie } from './auth.js';

export interface RutVerificationRoutesDeps {
  verification: RutVerification | null;
  publicUrl: string | undefined;
  trustProxy: boolean;
  /** Tells a chat (Telegram's Bot API), when the bot is configured. */
  notifyChat: ((chatId: number, html: string) => Promise<void>) | null;
  logger: Logger;
}

/**
 * "Verificar mi RUT" (SPEC §22): `/verificar-rut/:token` (the bot's single-use link, bound to its
 * chat) sends the browser to the customer's identity provider; `/verificar-rut/callback` is where
 * it comes back. Both answer pages in Spanish.
 */
export function rutVerificationRoutes({ verification, publicUrl, trustProxy, notifyChat, logger }: RutVerificationRoutesDeps): Hono {
  const app = new Hono();
  const title = PAGE_TEXTS.rutTitle;
  const tell = (chatId: number, html: string) =>
    notifyChat?.(chatId, html).catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'aviso de RUT verificado no enviado'));

  app.get('/callback', async (c) => {
    if (!verification) return messagePage(c, 404, title, PAGE_TEXTS.rutNotConfigured);
    try {
      const done = await verification.complete(new URL(c.req.url).searchParams, bindingCookieOf(c, trustProxy));
      clearBindingCookie(c, trustProxy);
      await tell(done.chatId, texts.rutVerified(done.maskedRut));
      if (done.previousChatId !== null) await tell(done.previousChatId, texts.rutVerifiedElsewhere(done.maskedRut));
      return messagePage(c, 200, title, PAGE_TEXTS.rutDone(done.maskedRut));
    } catch (error) {
      if (error instanceof DomainError) return errorPage(c, title, error);
      throw error;
    }
  });

  app.get('/:token', async (c) => {
    if (!verification) return messagePage(c, 404, title, PAGE_TEXTS.rutNotConfigured);
    const binding = newBrowserBinding();
    try {
      const url = await verification.begin(c.req.param('token'), `${publicBase(c, publicUrl)}/verificar-rut/callback`, binding);
      setBindingCookie(c, binding, trustProxy);
      c.header('Cache-Control', 'no-store');
      return c.redirect(url.href, 303);
    } catch (error) {
      if (error instanceof DomainError) {
        if (error.code.startsWith('ENLACE_')) return messagePage(c, error.code === 'ENLACE_NO_VALIDO' ? 404 : error.code === 'ENLACE_YA_USADO' ? 409 : 410, title, PAGE_TEXTS.rutInvalidLink);
        return errorPage(c, title, error);
      }
      throw error;
    }
  });

  return app;
}
