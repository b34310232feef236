import { timingSafeEqual } from 'node:crypto';
import { conversations, createConversation } from '@grammyjs/conversations';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { Bot, webhookCallback } from 'grammy';
import type { Context as HonoContext } from 'hono';
import { ValidationError } from '../errors.js';
import { readJsonBody } from '../http/middleware/json-body.js';
import type { Assignment } from '../modules/queue/assignment.service.js';
import type { BotContext } from './context.js';
import { conversationStorage } from './conversation-storage.js';
import { registerRutConversation } from './conversations/register-rut.js';
import type { BotDeps } from './deps.js';
import { advisorFeature } from './features/advisor.js';
import { comeBackFeature } from './features/come-back.js';
import { customerFeature } from './features/customer.js';
import { fallbackFeature } from './features/fallback.js';
import { privacyFeature } from './features/privacy.js';
import { supervisorFeature } from './features/supervisor.js';
import { turnoFeature } from './features/turno.js';
import { panelKeyboard } from './keyboards.js';
import { texts } from './texts.js';

export { telegramOrigin, type BotDeps } from './deps.js';

const INIT_RETRY_MS = 10_000;

const COMMANDS = [
  { command: 'start', description: 'Empezar' },
  { command: 'tomar', description: 'Tomar un número' },
  { command: 'turno', description: 'Ver mi turno' },
  { command: 'rut', description: 'Registrar o cambiar mi RUT' },
  { command: 'telefono', description: 'Compartir mi teléfono' },
  { command: 'cancelar', description: 'Cancelar mi turno' },
  { command: 'ayuda', description: 'Ayuda' },
  { command: 'panel', description: 'Panel de asesor' },
  { command: 'vincular', description: 'Vincular mi cuenta de asesor' },
  { command: 'misdatos', description: 'Ver qué datos míos guarda el banco' },
  { command: 'borrar', description: 'Borrar mis datos' },
  { command: 'verificar', description: 'Verificar mi RUT' },
];

export interface TelegramBot {
  bot: Bot<BotContext>;
  /** The bot's @username once Telegram has answered getMe; deep links need it. */
  username(): string | null;
  /** Hono handler for `POST /telegram/webhook` (webhook mode), checking the secret token. */
  webhook: ((c: HonoContext) => Promise<Response>) | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Tells the advisor, at once, who their new customer is. */
  notifyAssignment(assignment: Assignment): Promise<void>;
  /** Tells the advisor their called customer cancelled before reaching the desk (a walkout). */
  notifyCustomerLeft(advisorId: number, numero: string): Promise<void>;
}

/**
 * The Telegram door (SPEC §6): features mounted in one visible order, conversations persisted in
 * PostgreSQL, updates of one chat handled in order (sequentialize) and chats in parallel.
 */
export function createTelegramBot(deps: BotDeps): TelegramBot {
  const { config, logger, services, db } = deps;
  const log = logger.child({ component: 'bot' });
  const token = config.telegram.token;
  if (!token) throw new Error('createTelegramBot requiere TELEGRAM_BOT_TOKEN');
  // Longer than the runner's 30 s long poll, so an idle poll never races the client's own timeout.
  const bot = new Bot<BotContext>(token, { client: { apiRoot: config.telegram.apiRoot, timeoutSeconds: 45 } });

  bot.use(sequentialize<BotContext>((ctx) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(conversations<BotContext, BotContext>({ storage: conversationStorage(db) }));
  bot.use(createConversation(registerRutConversation(deps), 'registerRut'));
  bot.use(supervisorFeature(deps));
  bot.use(advisorFeature(deps));
  bot.use(privacyFeature(deps));
  bot.use(turnoFeature(deps));
  bot.use(customerFeature(deps));
  bot.use(comeBackFeature(deps));
  bot.use(fallbackFeature());
  bot.catch((error) => log.error({ err: error.error, updateId: error.ctx.update.update_id }, 'error al atender un update'));

  const grammyWebhook =
    config.telegram.mode === 'webhook'
      ? (webhookCallback(bot, 'hono', { secretToken: config.telegram.webhookSecret }) as (
          c: HonoContext,
        ) => Promise<Response>)
      : null;
  // SPEC §22: a body that is not JSON is the sender's error (400), never a 500. The secret is
  // checked first (grammY answers 401 without reading the body), so only Telegram learns it.
  const webhook = grammyWebhook
    ? async (c: HonoContext): Promise<Response> => {
        if (webhookSecretMatches(config.telegram.webhookSecret, c.req.header('x-telegram-bot-api-secret-token'))) {
          const update = await readJsonBody(c);
          if (typeof update !== 'object' || update === null || Array.isArray(update)) {
            throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON (un update de Telegram)' });
          }
        }
        return grammyWebhook(c);
      }
    : null;

  let runner: RunnerHandle | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  const connect = async (): Promise<void> => {
    try {
      await bot.init();
      await bot.api.setMyCommands(COMMANDS);
      if (config.telegram.mode === 'polling') {
        await bot.api.deleteWebhook();
        runner = run(bot);
      } else if (config.telegram.webhookUrl) {
        await bot.api.setWebhook(config.telegram.webhookUrl, {
          ...(config.telegram.webhookSecret ? { secret_token: config.telegram.webhookSecret } : {}),
          allowed_updates: ['message', 'edited_message', 'callback_query'],
        });
      }
      log.info({ username: bot.botInfo.username, mode: config.telegram.mode }, 'bot de Telegram conectado');
    } catch (error) {
      // Telegram unreachable must not stop the branch: the kiosk and the jobs go on; retry later.
      log.error({ err: error }, `no se pudo conectar con Telegram; reintento en ${INIT_RETRY_MS / 1000} s`);
      if (!stopped) retry = setTimeout(() => void connect(), INIT_RETRY_MS);
    }
  };

  return {
    bot,
    username: () => (bot.isInited() ? bot.botInfo.username : null),
    webhook,
    start: connect,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      if (runner?.isRunning()) await runner.stop();
    },
    async notifyAssignment(assignment) {
      const telegramUserId = await services.advisors.telegramUserIdOf(assignment.advisorId);
      if (!telegramUserId) return;
      const current = (await services.advisors.get(assignment.advisorId)).currentTicket;
      // Already finished (a very quick service): nothing to announce any more.
      if (current?.id !== assignment.ticketId) return;
      const advisor = await services.advisors.get(assignment.advisorId);
      const text = texts.newCustomer(current.numero, current.queueType, current.maskedNationalId, current.minutesWaited);
      await bot.api.sendMessage(telegramUserId, text, { parse_mode: 'HTML', reply_markup: panelKeyboard(advisor) });
    },
    async notifyCustomerLeft(advisorId, numero) {
      const telegramUserId = await services.advisors.telegramUserIdOf(advisorId);
      if (!telegramUserId) return;
      const advisor = await services.advisors.get(advisorId);
      await bot.api.sendMessage(telegramUserId, texts.customerLeft(numero), { parse_mode: 'HTML', reply_markup: panelKeyboard(advisor) });
    },
  };
}

/** The webhook's secret token header equals the configured one (any header when none is configured). */
function webhookSecretMatches(secret: string | undefined, header: string | undefined): boolean {
  if (!secret) return true;
  if (header === undefined) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
