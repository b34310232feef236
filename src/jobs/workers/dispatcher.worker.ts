// Message dispatcher (SPEC §5, §8): sends due notifications, woken by the main thread on every
// event and sweeping every period for the rest. One instance (the lock's holder) sends at a time,
// so the rate cap holds across instances.
import { createTelegramSender } from '../../bot/telegram-sender.js';
import { dispatchConcurrency, MessageDispatcher, RateLimiter } from '../../modules/notifications/dispatcher.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('dispatcher', ({ db, clock, logger, settings }) => {
  if (!settings.telegram) throw new Error('el despachador necesita la configuración de Telegram');
  const { token, apiRoot, maxMessagesPerSecond, paidBroadcast = false } = settings.telegram;
  const dispatcher = new MessageDispatcher({
    db,
    clock,
    logger,
    sender: createTelegramSender(token, apiRoot, { paidBroadcast }),
    limiter: new RateLimiter(maxMessagesPerSecond),
    concurrency: dispatchConcurrency(maxMessagesPerSecond),
  });
  return () => dispatcher.dispatchDue();
});
