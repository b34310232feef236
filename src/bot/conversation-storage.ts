import type { ConversationData, VersionedState, VersionedStateStorage } from '@grammyjs/conversations';
import type { Db } from '../db/sql.js';

/**
 * Conversations live in PostgreSQL, not in memory: with several instances behind a load balancer
 * (webhook mode) the next answer of a chat may reach another instance, and a restart loses nothing.
 */
export function conversationStorage(db: Db): VersionedStateStorage<string, ConversationData> {
  return {
    async read(key) {
      const [row] = await db.execute<{ state: VersionedState<ConversationData> }[]>(
        `select state from bot_conversation where key = ?`,
        [key],
      );
      return row?.state;
    },
    async write(key, state) {
      await db.execute(
        `insert into bot_conversation (key, state, updated_at) values (?, ?::jsonb, now() at time zone 'UTC')
         on conflict (key) do update set state = excluded.state, updated_at = excluded.updated_at`,
        [key, JSON.stringify(state)],
      );
    },
    async delete(key) {
      await db.execute(`delete from bot_conversation where key = ?`, [key]);
    },
  };
}
