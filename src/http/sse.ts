import type { Context } from 'hono';
import type { SSEMessage, SSEStreamingApi } from 'hono/streaming';

/** SPEC §22: how many live streams (SSE) this instance holds, in total and per client IP. */
export interface StreamLimits {
  total: number;
  perIp: number;
}

/** Seconds a refused screen is told to wait before it tries again. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/**
 * Counts the open live streams (the screens' and the desks'). Each stream takes a place before it
 * starts and gives it back when it ends; beyond either cap the request is refused (503 + Retry-After)
 * before anything is held for it.
 */
export class StreamLimiter {
  private open = 0;
  private readonly byKey = new Map<string, number>();

  constructor(readonly limits: StreamLimits) {}

  get size(): number {
    return this.open;
  }

  /** A place for one stream of `key` (kind and client IP), or null when a cap is reached. */
  acquire(key: string): (() => void) | null {
    const held = this.byKey.get(key) ?? 0;
    if (this.open >= this.limits.total || held >= this.limits.perIp) return null;
    this.open += 1;
    this.byKey.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
      const left = (this.byKey.get(key) ?? 1) - 1;
      if (left <= 0) this.byKey.delete(key);
      else this.byKey.set(key, left);
    };
  }
}

/** The Spanish 503 for a stream beyond the caps. */
export function tooManyStreams(c: Context, limiter: StreamLimiter): Response {
  c.header('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
  const mensaje =
    limiter.size >= limiter.limits.total
      ? 'El servidor ya tiene el máximo de conexiones en vivo; intenta nuevamente en unos segundos'
      : `Demasiadas conexiones en vivo desde esta dirección (máximo ${limiter.limits.perIp}); intenta nuevamente en unos segundos`;
  return c.json({ error: 'SERVICIO_NO_DISPONIBLE', mensaje }, 503);
}

export interface OutboxOptions {
  /** Events waiting to be written; one more and the stream is dropped (it fell behind). */
  maxQueued?: number;
  /** A single write that takes longer than this drops the stream (the client stopped reading). */
  writeTimeoutMs?: number;
  /** Closes the connection itself (the socket), so a client that never reads does not hold it. */
  destroy?: () => void;
  onDrop?: (why: 'cola llena' | 'escritura lenta') => void;
}

/**
 * One stream's bounded queue (SPEC §22): `send` never waits, whatever the client does. Events are
 * written in order by one pump; a client that falls behind (its queue full, or one write stalled
 * past the timeout) is dropped — the stream is closed and its socket destroyed — and never delays
 * anybody else. A screen that was dropped reconnects (EventSource's `retry`) and gets a fresh snapshot.
 */
export class SseOutbox {
  private readonly queue: Array<SSEMessage | string> = [];
  private pumping = false;
  dropped = false;
  private readonly maxQueued: number;
  private readonly writeTimeoutMs: number;

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly options: OutboxOptions = {},
  ) {
    this.maxQueued = options.maxQueued ?? 64;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  }

  /** Queue an event; false when the stream is (now) dropped. */
  send(message: SSEMessage): boolean {
    return this.push(message);
  }

  /** Queue a comment line (a keep-alive ping). */
  comment(text: string): boolean {
    return this.push(`: ${text}\n\n`);
  }

  get closed(): boolean {
    return this.dropped || this.stream.aborted || this.stream.closed;
  }

  private push(item: SSEMessage | string): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.maxQueued) {
      this.drop('cola llena');
      return false;
    }
    this.queue.push(item);
    if (!this.pumping) void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const item = this.queue.shift()!;
        const write = typeof item === 'string' ? this.stream.write(item) : this.stream.writeSSE(item);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), this.writeTimeoutMs);
          timer.unref();
        });
        const outcome = await Promise.race([write.then(() => 'written' as const, () => 'written' as const), timedOut]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          this.drop('escritura lenta');
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private drop(why: 'cola llena' | 'escritura lenta'): void {
    if (this.dropped) return;
    this.dropped = true;
    this.queue.length = 0;
    this.options.onDrop?.(why);
    try {
      this.options.destroy?.();
    } catch {
      // already gone
    }
    this.stream.abort();
  }
}

/** The Node response behind a Hono context, to destroy its socket when a stream is dropped. */
export function socketDestroyer(c: Context): () => void {
  const env = c.env as { outgoing?: { destroy?: () => void } } | undefined;
  return () => env?.outgoing?.destroy?.();
}
