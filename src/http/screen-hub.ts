import type { Logger } from '../logger.js';
import type { KeyedSnapshot, ScreenKey, ScreenService, ScreenSnapshot } from '../modules/screen/screen.service.js';

/**
 * One connected screen. `send` only queues (SPEC §22: each stream has its own bounded queue, see
 * src/http/sse.ts): it never waits for the client, so a screen that stops reading delays nobody.
 */
export interface ScreenClient {
  send(event: 'snapshot' | 'called', data: unknown): void;
}

interface BranchScreens {
  clients: Set<ScreenClient>;
  last: ScreenSnapshot | null;
  /** What `last` was made from: the sweep compares it with the database's. */
  key: ScreenKey | null;
  /** The first snapshot, shared by the screens that join before it is there. */
  first: Promise<KeyedSnapshot> | null;
  busy: boolean;
  /** A change arrived while a refresh ran: run once more after it. */
  dirty: boolean;
}

export interface ScreenHubOptions {
  screens: Pick<ScreenService, 'keyedSnapshot' | 'sweepKeys'>;
  logger: Logger;
  /**
   * Safety net against a missed notification: this often, ONE statement reads what every branch with
   * screens is made of, and only a branch that moved since its snapshot is snapshotted again.
   */
  sweepMs?: number;
  /** Changes arriving this close together are folded into one snapshot per branch. */
  coalesceMs?: number;
}

/**
 * Fans the branch screens out, driven by change notifications (PostgreSQL LISTEN/NOTIFY, see
 * src/db/change-listener.ts): one snapshot per changed branch, whatever the number of screens
 * or instances; nothing is queried while nothing changes, except a slow safety sweep of one
 * statement per instance whatever the number of branches (SPEC §16). A newly
 * called number is sent as its own `called` event so the screen can highlight it and chime.
 */
export class ScreenHub {
  private readonly branches = new Map<string, BranchScreens>();
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private readonly sweepMs: number;
  private readonly coalesceMs: number;
  /** Snapshots taken (each is the screens' whole database work for one branch): for tests and the bench. */
  snapshotsTaken = 0;
  /** Sweeps run (one statement each), and branches they found moved: for tests and the bench. */
  sweepsRun = 0;
  sweepFound = 0;
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
      entry = { clients: new Set(), last: null, key: null, first: null, busy: false, dirty: false };
      this.branches.set(branch, entry);
    }
    const joined = entry;
    joined.clients.add(client);
    this.ensureSweep();
    let snapshot = joined.last;
    if (!snapshot) {
      // Screens joining together (a deploy reconnecting them all) share one snapshot per branch.
      joined.first ??= this.takeSnapshot(branch).finally(() => (joined.first = null));
      const taken = await joined.first;
      snapshot = taken.snapshot;
      if (!joined.last) {
        joined.last = taken.snapshot;
        joined.key = taken.key;
      }
    }
    client.send('snapshot', joined.last ?? snapshot);
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
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * One statement for every branch with screens here; a snapshot only where what it is made of
   * moved since the last one (a notification was missed). A branch being refreshed is left to that refresh.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    const branches = [...this.branches].filter(([, e]) => e.key !== null && !e.busy).map(([b]) => b);
    if (branches.length === 0) return;
    this.sweeping = true;
    try {
      this.sweepsRun += 1;
      const keys = await this.deps.screens.sweepKeys(branches);
      for (const branch of branches) {
        const entry = this.branches.get(branch);
        const key = keys.get(branch);
        if (!entry || entry.busy || entry.key === null || key === undefined || key === entry.key) continue;
        this.sweepFound += 1;
        this.changed(branch);
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'no se pudo revisar las pantallas');
    } finally {
      this.sweeping = false;
    }
  }

  private stopSweep(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private takeSnapshot(branch: string): Promise<KeyedSnapshot> {
    this.snapshotsTaken += 1;
    return this.deps.screens.keyedSnapshot(branch);
  }

  private async refresh(branch: string): Promise<void> {
    const entry = this.branches.get(branch);
    if (!entry) return;
    if (entry.busy) {
      entry.dirty = true;
      return;
    }
    entry.busy = true;
    try {
      const taken = await this.takeSnapshot(branch);
      const next = taken.snapshot;
      const previous = entry.last;
      entry.last = next;
      entry.key = taken.key;
      const seen = new Set(previous?.called.map((c) => `${c.numero}@${c.calledAt}`) ?? []);
      const fresh = previous ? next.called.filter((c) => !seen.has(`${c.numero}@${c.calledAt}`)).reverse() : [];
      const changed = JSON.stringify({ ...previous, generatedAt: '' }) !== JSON.stringify({ ...next, generatedAt: '' });
      // Queued, never awaited: the branch is free for its next change whatever any one screen does.
      for (const client of entry.clients) {
        try {
          for (const call of fresh) client.send('called', call);
          if (changed) client.send('snapshot', next);
        } catch (error) {
          this.deps.logger.warn({ err: error, branch }, 'no se pudo encolar un evento para una pantalla');
        }
      }
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
