import type { Logger } from '../logger.js';
import type { ScreenService, ScreenSnapshot } from '../modules/screen/screen.service.js';

export interface ScreenClient {
  send(event: 'snapshot' | 'called', data: unknown): Promise<void>;
}

const POLL_MS = 1000;

/**
 * Fans the branch screens out: one snapshot per branch per change, whatever the number of
 * screens. It looks every second (so assignments made by another instance show within a second
 * too) and at once when this instance assigns someone; a newly called number is sent as its own
 * `called` event so the screen can highlight it and chime.
 */
export class ScreenHub {
  private readonly branches = new Map<string, { clients: Set<ScreenClient>; last: ScreenSnapshot | null; busy: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  /** Set on shutdown: open streams end so the HTTP server can close. */
  stopped = false;

  constructor(private readonly deps: { screens: ScreenService; logger: Logger }) {}

  get clientCount(): number {
    let n = 0;
    for (const b of this.branches.values()) n += b.clients.size;
    return n;
  }

  async join(branch: string, client: ScreenClient): Promise<() => void> {
    let entry = this.branches.get(branch);
    if (!entry) {
      entry = { clients: new Set(), last: null, busy: false };
      this.branches.set(branch, entry);
    }
    entry.clients.add(client);
    this.ensureTimer();
    const snapshot = entry.last ?? (await this.deps.screens.snapshot(branch));
    entry.last ??= snapshot;
    await client.send('snapshot', snapshot);
    return () => {
      entry.clients.delete(client);
      if (entry.clients.size === 0) this.branches.delete(branch);
      if (this.branches.size === 0) this.stopTimer();
    };
  }

  /** Something happened in a branch (an assignment here): refresh its screens now. */
  poke(branch: string): void {
    if (this.branches.has(branch)) void this.refresh(branch);
  }

  stop(): void {
    this.stopped = true;
    this.stopTimer();
    this.branches.clear();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const branch of this.branches.keys()) void this.refresh(branch);
    }, POLL_MS);
    this.timer.unref();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refresh(branch: string): Promise<void> {
    const entry = this.branches.get(branch);
    if (!entry || entry.busy) return;
    entry.busy = true;
    try {
      const next = await this.deps.screens.snapshot(branch);
      const previous = entry.last;
      entry.last = next;
      const seen = new Set(previous?.called.map((c) => `${c.numero}@${c.calledAt}`) ?? []);
      const fresh = previous ? next.called.filter((c) => !seen.has(`${c.numero}@${c.calledAt}`)).reverse() : [];
      const changed = JSON.stringify({ ...previous, generatedAt: '' }) !== JSON.stringify({ ...next, generatedAt: '' });
      const sends: Promise<void>[] = [];
      for (const client of entry.clients) {
        for (const call of fresh) sends.push(client.send('called', call));
        if (changed) sends.push(client.send('snapshot', next));
      }
      await Promise.allSettled(sends);
    } catch (error) {
      this.deps.logger.warn({ err: error, branch }, 'no se pudo actualizar las pantallas de la sucursal');
    } finally {
      entry.busy = false;
    }
  }
}
