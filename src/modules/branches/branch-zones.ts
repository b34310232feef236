import type { Queryable } from '../../db/sql.js';

/**
 * Each branch's time zone for the arithmetic done in TypeScript (the estimator's minute of the
 * day, a plan's default date); SQL reads `branch.timezone` itself. All zones are read in one
 * statement and kept for `ttlMs` (a name not yet known is re-read at most once a second), so a
 * changed zone reaches every instance within that time.
 */
export class BranchZones {
  private zones = new Map<string, string>();
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(private readonly settings: { fallback: string; ttlMs?: number; now?: () => number }) {}

  /** The zone of a branch (the default zone for a name no branch has). */
  async of(db: Queryable, branch: string): Promise<string> {
    const age = this.now() - this.readAt;
    if (age > (this.settings.ttlMs ?? 30_000) || (!this.zones.has(branch) && age > 1000)) await this.refresh(db);
    return this.zones.get(branch) ?? this.settings.fallback;
  }

  /** Every branch's zone, fresh within the ttl; `zoneOf` on the result never misses. */
  async all(db: Queryable): Promise<(branch: string) => string> {
    if (this.now() - this.readAt > (this.settings.ttlMs ?? 30_000)) await this.refresh(db);
    const zones = this.zones;
    return (branch) => zones.get(branch) ?? this.settings.fallback;
  }

  /** Forget what was read (after this instance changed a branch). */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private now(): number {
    return (this.settings.now ?? Date.now)();
  }

  private refresh(db: Queryable): Promise<void> {
    this.reading ??= db
      .execute<{ name: string; timezone: string }[]>(`select name, timezone from branch`)
      .then((rows) => {
        this.zones = new Map(rows.map((r) => [r.name, r.timezone]));
        this.readAt = this.now();
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }
}
