import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';

/** Asks Telegram whether it answers at all (`getMe`): true when it does, whatever it says. */
export type TelegramProbe = () => Promise<boolean>;

export interface CircuitOptions {
  clock: Clock;
  logger: Logger;
  probe: TelegramProbe;
  /** While open, how often to ask Telegram again (default 5 s). */
  probeIntervalMs?: number;
  /** Told when the circuit opens (true) or closes (false). */
  onChange?: (open: boolean) => void;
}

/**
 * The dispatcher's circuit breaker for a Telegram outage (SPEC §15). A send that fails with a
 * network error or a 5xx may be that chat's problem or Telegram's: the breaker asks `getMe`. If
 * Telegram does not answer either, the circuit opens: the failed message keeps its attempts and its
 * place, and nothing is sent (so nothing burns its retries) until a probe, every
 * `probeIntervalMs`, gets an answer; then the backlog goes out in the dispatcher's usual order.
 * Concurrent callers share one probe.
 */
export class TelegramCircuit {
  private open = false;
  private nextProbeAt = 0;
  private probing: Promise<boolean> | null = null;
  private readonly probeIntervalMs: number;

  constructor(private readonly options: CircuitOptions) {
    this.probeIntervalMs = options.probeIntervalMs ?? 5000;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Before claiming a message: may sends go out now? While open, probes when one is due. */
  async allowSend(): Promise<boolean> {
    if (!this.open) return true;
    if (this.options.clock.now().getTime() < this.nextProbeAt) return false;
    return this.askTelegram();
  }

  /**
   * A send failed with a network error or a 5xx: is Telegram itself down? True opens (or keeps
   * open) the circuit, and the caller must not spend the message's attempt.
   */
  async isOutage(): Promise<boolean> {
    if (this.open) return true;
    return !(await this.askTelegram());
  }

  private askTelegram(): Promise<boolean> {
    this.probing ??= (async () => {
      try {
        const answers = await this.options.probe().catch(() => false);
        this.nextProbeAt = this.options.clock.now().getTime() + this.probeIntervalMs;
        this.set(!answers);
        return answers;
      } finally {
        this.probing = null;
      }
    })();
    return this.probing;
  }

  private set(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    if (open) this.options.logger.error('Telegram no responde: circuito abierto, los envíos esperan sin gastar intentos');
    else this.options.logger.warn('Telegram volvió a responder: circuito cerrado, se envían los mensajes pendientes en orden');
    this.options.onChange?.(open);
  }
}
