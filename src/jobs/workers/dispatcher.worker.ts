// Message dispatcher (SPEC §5, §8): sends due notifications, woken by the main thread on every
// event and sweeping every period for the rest. One instance (the lock's holder) sends at a time,
// so the rate cap holds across instances.
import { createTelegramSender } from '../../bot/telegram-sender.js';
import { TelegramCircuit } from '../../modules/notifications/circuit-breaker.js';
import { dispatchConcurrency, MessageDispatcher, RateLimiter } from '../../modules/notifications/dispatcher.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('dispatcher', ({ db, clock, logger, settings, report }) => {
  if (!settings.telegram) throw new Error('el despachador necesita la configuración de Telegram');
  const { token, apiRoot, maxMessagesPerSecond, retryDelaysSeconds, paidBroadcast = false } = settings.telegram;
  const sender = createTelegramSender(token, apiRoot, { paidBroadcast });
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
    ...(retryDelaysSeconds ? { retryDelaysSeconds } : {}),
    observe: (event) => report({ type: 'metric', kind: 'dispatch', event }),
    limiter: new RateLimiter(maxMessagesPerSecond),
    concurrency: dispatchConcurrency(maxMessagesPerSecond),
  });
  return () => dispatcher.dispatchDue();
});
