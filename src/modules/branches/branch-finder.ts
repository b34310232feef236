import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import type { BranchQueue } from '../../domain/branch-hours.js';
import { localWeekdayAndTime } from '../../domain/branch-hours.js';
import { estimateWaitMinutes } from '../../domain/estimate.js';
import { QUEUE_TYPES, isQueueType, type QueueType } from '../../domain/queue-types.js';
import { branchClosedError } from '../../errors.js';

/** What a customer may pick from: an active branch, the queues it offers and whether it takes tickets now. */
export interface BranchChoice {
  id: number;
  name: string;
  comuna: string | null;
  timezone: string;
  /** The queues it offers, in the usual order (SPEC §17). */
  queues: QueueType[];
  /**
   * Null while it takes tickets; otherwise SUCURSAL_CERRADA's own sentence ("La sucursal abre el
   * lunes a las 09:00"), the same the kiosk and a refused ticket give.
   */
  closedMessage: string | null;
}

export interface QueueWait {
  queueType: QueueType;
  waiting: number;
  advisorsOnline: number;
  estimatedWaitMinutes: number;
}

export interface NearbyBranch extends BranchChoice {
  distanceKm: number;
  waits: QueueWait[];
}

export interface BranchSearch {
  branches: BranchChoice[];
  /** More branches match than were returned: the customer should type more letters. */
  more: boolean;
}

/** How many nearest branches a shared location gets (SPEC §17). */
export const NEAREST_BRANCHES = 5;
/** At most this many branch buttons in any keyboard (SPEC §17: Telegram refuses huge keyboards). */
export const MAX_BRANCH_BUTTONS = 8;
/** A branch opening within this many minutes still counts as open for "the nearest open branches". */
export const OPENS_SOON_MINUTES = 60;
/** Only the nearest this many branches are looked at for being open (a city's worth). */
export const NEAREST_CANDIDATES = 50;
/** Text typed this long after the bot asked "¿En qué sucursal?" is read as a branch search. */
export const BRANCH_SEARCH_MINUTES = 15;
/** Shortest and longest text searched. */
export const SEARCH_MIN_CHARS = 2;
export const SEARCH_MAX_CHARS = 60;

interface ChoiceRow {
  id: string;
  name: string;
  comuna: string | null;
  timezone: string;
  queues: BranchQueue[] | null;
  /** branch_opening(): null while open, a UTC timestamp as text, or 'infinity'. */
  opens_at: string | null;
}

interface NearbyRow extends ChoiceRow {
  distance_km: number;
  queue_type: string | null;
  waiting: number;
  online: number;
}

const CHOICE_COLUMNS = `b.id, b.name, b.comuna, b.timezone, b.queues`;

/**
 * Distance in km between the point (?, ?) — latitude, longitude — and the branch `b`, by the
 * haversine formula (no PostGIS: at 1,000 branches a sort of 1,000 distances is a millisecond).
 */
const HAVERSINE_KM = `2 * 6371 * asin(least(1, sqrt(
    power(sin(radians(b.latitude - ?::float8) / 2), 2)
    + cos(radians(?::float8)) * cos(radians(b.latitude)) * power(sin(radians(b.longitude - ?::float8) / 2), 2))))`;

/**
 * The nearest active branches with coordinates that take tickets now or open within
 * OPENS_SOON_MINUTES, and the live line of each queue they offer, in one statement. The distances
 * are sorted first and `branch_opening` is evaluated lazily, in distance order, only until enough
 * branches qualify, and among the NEAREST_CANDIDATES nearest only (no sort above the fenced,
 * sorted subquery: a second sort would evaluate it for every row; measured 115 ms for 1,000
 * branches against a few ms). The `true` parameter drops the "open or soon" condition (at night,
 * when none of the candidates qualifies).
 */
const NEAREST_SQL = `with nearest as materialized (
  select * from (
    select c.*, branch_opening(c.name, ?::timestamp, ?) as opens_at
    from (
      select ${CHOICE_COLUMNS}, ${HAVERSINE_KM} as distance_km
      from branch b
      where b.active and b.latitude is not null and b.longitude is not null
      order by distance_km, b.id
      limit ${NEAREST_CANDIDATES}
    ) c
    offset 0
  ) o
  where ?::boolean or o.opens_at is null or o.opens_at <= ?::timestamp + make_interval(mins => ?)
  limit ?
)
select n.id, n.name, n.comuna, n.timezone, n.queues, n.opens_at, n.distance_km, q.queue_type,
  coalesce(w.waiting, 0)::int as waiting,
  (select count(*)::int from advisor a where a.branch_office = n.name and a.status <> 'OFFLINE'
     and a.queue_types::jsonb @> to_jsonb(q.queue_type)) as online
from nearest n
left join lateral (select e->>'queueType' as queue_type from jsonb_array_elements(n.queues) e) q on true
left join ticket_waiting_count w on w.branch_office = n.name and w.queue_type = q.queue_type
order by n.distance_km, n.id`;

/**
 * Branches whose name or comuna contains the text, without regard to accents or case
 * (`ticketero_fold`, over the trigram index idx_branch_search). Names starting with the text
 * first, then by name; `branch_opening` only for the rows returned.
 */
const SEARCH_SQL = `select m.*, branch_opening(m.name, ?::timestamp, ?) as opens_at
from (
  select ${CHOICE_COLUMNS}
  from branch b
  where b.active and ticketero_fold(b.name || ' ' || coalesce(b.comuna, '')) like '%' || ticketero_fold(?) || '%' escape '\\'
  order by (ticketero_fold(b.name) like ticketero_fold(?) || '%' escape '\\') desc, b.name, b.id
  limit ?
) m
order by (ticketero_fold(m.name) like ticketero_fold(?) || '%' escape '\\') desc, m.name, m.id`;

/** `%`, `_` and `\` typed by a customer are letters, not patterns. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The bot's branch finder at 1,000 branches (SPEC §17): the nearest to a shared location, a
 * search by part of a name or comuna, a branch by id, and the chat's last branch. Every list is
 * bounded (5 nearest, 8 found); nothing reads every branch.
 */
export class BranchFinder {
  constructor(private readonly deps: { db: Db; clock: Clock; opensEarlyMinutes: number }) {}

  /** The NEAREST_BRANCHES nearest open-or-soon branches, with each queue's live wait; at night, the nearest ones. */
  async nearest(latitude: number, longitude: number, limit = NEAREST_BRANCHES): Promise<NearbyBranch[]> {
    const now = this.deps.clock.now();
    const read = (any: boolean) =>
      this.deps.db.execute<NearbyRow[]>(NEAREST_SQL, [
        now,
        this.deps.opensEarlyMinutes,
        latitude,
        latitude,
        longitude,
        any,
        now,
        OPENS_SOON_MINUTES,
        limit,
      ]);
    let rows = await read(false);
    if (rows.length === 0) rows = await read(true);
    const byId = new Map<string, NearbyBranch>();
    for (const row of rows) {
      let branch = byId.get(row.id);
      if (!branch) {
        branch = { ...this.choice(row), distanceKm: row.distance_km, waits: [] };
        byId.set(row.id, branch);
      }
      if (isQueueType(row.queue_type)) {
        branch.waits.push({
          queueType: row.queue_type,
          waiting: row.waiting,
          advisorsOnline: row.online,
          estimatedWaitMinutes: estimateWaitMinutes(row.waiting + 1, row.queue_type, row.online),
        });
      }
    }
    const order = new Map(QUEUE_TYPES.map((type, i) => [type, i]));
    for (const branch of byId.values()) branch.waits.sort((a, b) => order.get(a.queueType)! - order.get(b.queueType)!);
    return [...byId.values()];
  }

  /** Active branches whose name or comuna contains `text` (accents and case aside), at most `limit`. */
  async search(text: string, limit = MAX_BRANCH_BUTTONS): Promise<BranchSearch> {
    const query = text.trim().replace(/\s+/g, ' ').slice(0, SEARCH_MAX_CHARS);
    if (query.length < SEARCH_MIN_CHARS) return { branches: [], more: false };
    const pattern = escapeLike(query);
    const rows = await this.deps.db.execute<ChoiceRow[]>(SEARCH_SQL, [
      this.deps.clock.now(),
      this.deps.opensEarlyMinutes,
      pattern,
      pattern,
      limit + 1,
      pattern,
    ]);
    return { branches: rows.slice(0, limit).map((row) => this.choice(row)), more: rows.length > limit };
  }

  /** An active branch by id (a pressed button); null when gone or deactivated. */
  async byId(id: number): Promise<BranchChoice | null> {
    const [row] = await this.deps.db.execute<ChoiceRow[]>(
      `select ${CHOICE_COLUMNS}, branch_opening(b.name, ?::timestamp, ?) as opens_at from branch b where b.id = ? and b.active`,
      [this.deps.clock.now(), this.deps.opensEarlyMinutes, id],
    );
    return row ? this.choice(row) : null;
  }

  /** An active branch by its exact name (a supervisor's `/supervisor Sucursal Centro`). */
  async byName(name: string): Promise<BranchChoice | null> {
    const [row] = await this.deps.db.execute<ChoiceRow[]>(
      `select ${CHOICE_COLUMNS}, branch_opening(b.name, ?::timestamp, ?) as opens_at from branch b where b.name = ? and b.active`,
      [this.deps.clock.now(), this.deps.opensEarlyMinutes, name],
    );
    return row ? this.choice(row) : null;
  }

  /** The only active branch, or null when there are several (or none): then the finder is needed. */
  async onlyBranch(): Promise<BranchChoice | null> {
    const rows = await this.deps.db.execute<ChoiceRow[]>(
      `select ${CHOICE_COLUMNS}, branch_opening(b.name, ?::timestamp, ?) as opens_at from branch b where b.active order by b.id limit 2`,
      [this.deps.clock.now(), this.deps.opensEarlyMinutes],
    );
    return rows.length === 1 ? this.choice(rows[0]!) : null;
  }

  /** The branch this chat last took a number in, when still active. */
  async lastOf(chatId: number): Promise<BranchChoice | null> {
    const [row] = await this.deps.db.execute<ChoiceRow[]>(
      `select ${CHOICE_COLUMNS}, branch_opening(b.name, ?::timestamp, ?) as opens_at
       from telegram_customer c join branch b on b.id = c.last_branch_id
       where c.chat_id = ? and b.active`,
      [this.deps.clock.now(), this.deps.opensEarlyMinutes, chatId],
    );
    return row ? this.choice(row) : null;
  }

  /** Remembers the branch the chat took a number in, and ends its search. */
  async remember(chatId: number, branchId: number): Promise<void> {
    await this.deps.db.execute(`update telegram_customer set last_branch_id = ?, branch_search_at = null where chat_id = ?`, [
      branchId,
      chatId,
    ]);
  }

  /** The bot asked the chat which branch: its next text is a search for a while. */
  async startSearch(chatId: number): Promise<void> {
    await this.deps.db.execute(`update telegram_customer set branch_search_at = ? where chat_id = ?`, [this.deps.clock.now(), chatId]);
  }

  /** Whether a text from this chat now is an answer to "¿En qué sucursal?". */
  async searching(chatId: number): Promise<boolean> {
    const [row] = await this.deps.db.execute<{ searching: boolean }[]>(
      `select branch_search_at > ?::timestamp - make_interval(mins => ?) as searching from telegram_customer where chat_id = ?`,
      [this.deps.clock.now(), BRANCH_SEARCH_MINUTES, chatId],
    );
    return row?.searching === true;
  }

  private choice(row: ChoiceRow): BranchChoice {
    const offered = new Set((row.queues ?? []).map((q) => q.queueType));
    return {
      id: Number(row.id),
      name: row.name,
      comuna: row.comuna,
      timezone: row.timezone,
      queues: QUEUE_TYPES.filter((q) => offered.has(q)),
      closedMessage: row.opens_at === null ? null : closedMessage(row.name, row.opens_at, row.timezone),
    };
  }
}

/** SUCURSAL_CERRADA's sentence for a branch_opening() result (the error's own wording, SPEC §17). */
function closedMessage(name: string, opensAt: string, timezone: string): string {
  if (opensAt === 'infinity') return branchClosedError(name, null).message;
  const instant = new Date(`${opensAt.replace(' ', 'T')}Z`);
  return branchClosedError(name, { ...localWeekdayAndTime(instant, timezone), iso: instant.toISOString() }).message;
}
