import type { Logger } from '../logger.js';
import type { ScreenService, ScreenSnapshot } from '../modules/screen/screen.service.js';

export interface ScreenClient {
  send(event: 'snapshot' | 'called', data: unknown): Promise<void>;
}

interface BranchScreens {
  clients: Set<ScreenClient>;
  last: ScreenSnapshot | null;
  /** The first snapshot, shared by the screens that join before it is there. */
  first: Promise<ScreenSnapshot> | null;
  busy: boolean;
  /** A change arrived while a refresh ran: run once more after it. */
  dirty: boolean;
  refreshedAt: number;
}

export interface ScreenHubOptions {
  screens: ScreenService;
  logger: Logger;
  /** Safety net: a branch not refreshed by a change for this long is refreshed anyway. */
  sweepMs?: number;
  /** Changes arriving this close together are folded into one snapshot per branch. */
  coalesceMs?: number;
}

/**
 * Fans the branch screens out, driven by change notifications (PostgreSQL LISTEN/NOTIFY, see
 * src/db/change-listener.ts): one snapshot per changed branch, whatever the number of screens
 * or instances; nothing is queried while nothing changes, except a slow safety sweep. A newly
 * called number is sent as its own `called` event so the screen can highlight it and chime.
 */
export class ScreenHub {
  private readonly branches = new Map<string, BranchScreens>();
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;
  private readonly coalesceMs: number;
  /** Snapshots taken (each is the screens' whole database work for one branch): for tests and the bench. */
  snapshotsTaken = 0;
  /** Set on shutdown: open streams end so the HTTP server can close. */
  stopped = false;

  constructor(private readonly deps: ScreenHubOptions) {
    this.sweepMs = deps.sweepMs ?? 30_000;
    this.coalesceMs = deps.coalesceMs ?? 25;
  }

  get clientCount(): number {
    let n = 0;
    for (const b of this.branches.values()) n += b.clients.size;
    return n;
  }

  async join(branch: string, client: ScreenClient): Promise<() => void> {
    let entry = this.branches.get(branch);
    if (!entry) {
      entry = { clients: new Set(), last: null, first: null, busy: false, dirty: false, refreshedAt: Date.now() };
      this.branches.set(branch, entry);
    }
    const joined = entry;
    joined.clients.add(client);
    this.ensureSweep();
    let snapshot = joined.last;
    if (!snapshot) {
      joined.first ??= this.takeSnapshot(branch).finally(() => (joined.first = null));
      snapshot = await joined.first;
      joined.last ??= snapshot;
    }
    await client.send('snapshot', joined.last ?? snapshot);
    return () => {
      joined.clients.delete(client);
      if (joined.clients.size === 0 && this.branches.get(branch) === joined) this.branches.delete(branch);
      if (this.branches.size === 0) this.stopSweep();
    };
  }

  /** A branch changed (a notification from any instance): refresh its screens, folded with other changes. */
  changed(branch: string): void {
    if (!this.branches.has(branch) || this.stopped) return;
    this.pending.add(branch);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.coalesceMs);
      this.flushTimer.unref();
    }
  }

  /** Kept for in-process callers: the same as a notification. */
  poke(branch: string): void {
    this.changed(branch);
  }

  /** Notifications may have been missed (the LISTEN connection was down): refresh every branch. */
  changedAll(): void {
    for (const branch of this.branches.keys()) this.changed(branch);
  }

  stop(): void {
    this.stopped = true;
    this.stopSweep();
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pending.clear();
    this.branches.clear();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const branches = [...this.pending];
    this.pending.clear();
    for (const branch of branches) void this.refresh(branch);
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    // Checked often, acted on rarely: a branch is swept only when no change refreshed it for sweepMs,
    // which also spreads the sweep's queries over time instead of firing them all at once.
    this.sweepTimer = setInterval(() => {
      const staleBefore = Date.now() - this.sweepMs;
      for (const [branch, entry] of this.branches) if (entry.refreshedAt <= staleBefore) this.changed(branch);
    }, Math.min(1000, this.sweepMs));
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private takeSnapshot(branch: string): Promise<ScreenSnapshot> {
    this.snapshotsTaken += 1;
    return this.deps.screens.snapshot(branch);
  }

  private async refresh(branch: string): Promise<void> {
    const entry = this.branches.get(branch);
    if (!entry) return;
    if (entry.busy) {
      entry.dirty = true;
      return;
    }
    entry.busy = true;
    entry.refreshedAt = Date.now();
    try {
      const next = await this.takeSnapshot(branch);
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
      if (entry.dirty) {
        entry.dirty = false;
        this.changed(branch);
      }
    }
  }
}
