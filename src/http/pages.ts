import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError } from '../errors.js';
import { escapeHtml } from '../modules/notifications/templates.js';

/**
 * The words of the pages the server itself renders (the OpenID Connect returns, SPEC §18 and §22):
 * the browser arrives there by a redirect, so it gets a page, not JSON.
 */
export const PAGE_TEXTS = {
  ssoTitle: 'Ingreso con la cuenta del banco',
  ssoRetry: 'Volver a ingresar',
  ssoNotConfigured: 'El ingreso con la cuenta del banco no está habilitado en este Ticketero.',
  ssoInvalid: 'No pudimos confirmar tu ingreso: el enlace venció, ya se usó o no corresponde a este navegador. Vuelve a intentarlo desde el comienzo.',
  ssoUnavailable: 'El proveedor de identidad del banco no responde. Intenta nuevamente en unos minutos.',
  rutTitle: 'Verificar mi RUT',
  rutDone: (masked: string) => `Listo: tu RUT ${masked} quedó verificado en tu chat de Telegram. Ya puedes volver a Telegram.`,
  rutInvalidLink: 'Este enlace no es válido, venció o ya se usó. Pide uno nuevo en Telegram con /verificar.',
  rutNotConfigured: 'La verificación del RUT no está habilitada.',
  rutNoRut: 'Tu proveedor de identidad no entregó un RUT válido, así que no pudimos verificarlo.',
  backToTelegram: 'Vuelve a Telegram para continuar.',
} as const;

/** A small page in Spanish with the app's styles: a heading, a message and optionally a link. */
export function messagePage(c: Context, status: ContentfulStatusCode, title: string, message: string, link?: { href: string; label: string }): Response {
  const body = `<!doctype html>
<html lang="es">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Ticketero · ${escapeHtml(title)}</title>
  <link rel="stylesheet" href="/static/styles.css">
</head>
<body>
  <main class="login">
    <h1>${escapeHtml(title)}</h1>
    <p ${status >= 400 ? 'class="error" role="alert"' : 'role="status"'} id="mensaje">${escapeHtml(message)}</p>
    ${link ? `<p><a href="${escapeHtml(link.href)}" id="volver">${escapeHtml(link.label)}</a></p>` : ''}
  </main>
</body>
</html>`;
  c.header('Cache-Control', 'no-store');
  c.header('X-Content-Type-Options', 'nosniff');
  return c.html(body, status);
}

/** A refusal as a page: its words and status come from the domain error. */
export function errorPage(c: Context, title: string, error: DomainError, link?: { href: string; label: string }): Response {
  return messagePage(c, error.status as ContentfulStatusCode, title, error.message, link);
}
