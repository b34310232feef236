import { p } from '@mikro-orm/core';

/*
 * Columns every table of the seed has, written once. They are `timestamp` (without a zone) as
 * the seed has them, holding UTC: the app writes its own instants and every session runs in UTC.
 */
export const createdAtColumn = () =>
  p.datetime().columnType('timestamp').defaultRaw('current_timestamp').onCreate(() => new Date());

export const updatedAtColumn = () =>
  p
    .datetime()
    .columnType('timestamp')
    .defaultRaw('current_timestamp')
    .onCreate(() => new Date())
    .onUpdate(() => new Date());
