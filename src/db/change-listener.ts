import './pg-defaults.js';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface ChangeListenerOptions {
  /** A direct connection (not through PgBouncer in transaction mode: LISTEN needs a session). */
  url: string;
  channel: string;
  logger: Logger;
  /** A notification arrived: its payload. */
  onNotify(payload: string): void;
  /** (Re)connected and listening: whatever was notified while down is unknown, so catch up. */
  onListening?(): void;
  /** First reconnect delay; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface ChangeListener {
  /** Resolves once the first LISTEN is in place (or rejects if the first connection fails). */
  ready: Promise<void>;
  /** The backend pid of the current connection (null while reconnecting): for tests and logs. */
  backendPid(): number | null;
  stop(): Promise<void>;
}

/**
 * One session that LISTENs for change notifications, held by each instance. When the
 * connection goes (server restart, pg_terminate_backend, network), it reconnects by itself with
 * a growing delay and tells `onListening` so the owner refreshes what it may have missed.
 */
export function listenForChanges(options: ChangeListenerOptions): ChangeListener {
  const { url, channel, logger } = options;
  const retryMs = options.retryMs ?? 200;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  let client: pg.Client | null = null;
  let pid: number | null = null;
  let stopped = false;
  let delay = retryMs;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  let resolveReady!: () => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  const scheduleReconnect = (): void => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, maxRetryMs);
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: 'ticketero-listen', keepAlive: true });
    let lost = false;
    const onLost = (error?: unknown): void => {
      if (lost) return;
      lost = true;
      if (client === next) {
        client = null;
        pid = null;
      }
      next.removeAllListeners('notification');
      void next.end().catch(() => {});
      if (!stopped) {
        logger.warn({ err: error, channel }, 'conexión LISTEN perdida: reconectando');
        scheduleReconnect();
      }
    };
    next.on('error', onLost);
    next.on('end', () => onLost());
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) options.onNotify(message.payload);
    });
    try {
      await next.connect();
      await next.query(`listen "${channel.replaceAll('"', '""')}"`);
      const { rows } = await next.query<{ pid: number }>('select pg_backend_pid() as pid');
      if (stopped) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      pid = rows[0]?.pid ?? null;
      delay = retryMs;
      if (first) {
        first = false;
        resolveReady();
      } else {
        logger.info({ channel }, 'conexión LISTEN restablecida');
      }
      options.onListening?.();
    } catch (error) {
      if (first) {
        first = false;
        stopped = true;
        rejectReady(error);
        await next.end().catch(() => {});
        return;
      }
      onLost(error);
    }
  };

  void connect();

  return {
    ready,
    backendPid: () => pid,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      pid = null;
      if (current) await current.end().catch(() => {});
    },
  };
}
