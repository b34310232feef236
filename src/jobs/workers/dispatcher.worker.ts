// Message dispatcher (SPEC §5, §8): sends due notifications, woken by the main thread on every
// event and sweeping every period for the rest. One instance (the lock's holder) sends at a time,
// so the rate cap holds across instances.
import { createTelegramSender } from '../../bot/telegram-sender.js';
import { TelegramCircuit } from '../../modules/notifications/circuit-breaker.js';
import { dispatchConcurrency, MessageDispatcher, RateLimiter } from '../../modules/notifications/dispatcher.js';
import { sendRatePerSecond } from '../../modules/notifications/urgency.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('dispatcher', ({ db, clock, logger, config, services, report }) => {
  const { token, apiRoot } = config.telegram;
  if (!token) throw new Error('el despachador necesita TELEGRAM_BOT_TOKEN');
  const maxMessagesPerSecond = sendRatePerSecond(config);
  const sender = createTelegramSender(token, apiRoot, { paidBroadcast: config.telegramPaidBroadcast });
  // Telegram down for everyone: hold the messages (attempts unspent) and ask getMe until it answers.
  const circuit = new TelegramCircuit({
    clock,
    logger,
    probe: () => sender.probe!(),
    onChange: (open) => report({ type: 'metric', kind: 'circuit', open }),
  });
  const dispatcher = new MessageDispatcher({
    db,
    clock,
    logger,
    sender,
    circuit,
    // The "Mi turno" edits the status-messages job planned, after the due messages, under the same limits.
    statusMessages: services.statusMessages,
    retryDelaysSeconds: config.telegramRetryDelaysSeconds,
    observe: (event) => report({ type: 'metric', kind: 'dispatch', event }),
    limiter: new RateLimiter(maxMessagesPerSecond),
    concurrency: dispatchConcurrency(maxMessagesPerSecond),
  });
  return () => dispatcher.dispatchDue();
});
