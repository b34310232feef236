import type { RunningApp } from '../../src/main.js';

/**
 * A RUT or phone the way the app stores it (SPEC §14): `[ciphertext, blind index]`, for tests that
 * write rows with plain SQL to set a scene.
 */
export function sealedRut(app: Pick<RunningApp, 'personalData'>, rut: string): [string, Buffer] {
  return [app.personalData.encrypt('rut', rut), app.personalData.blindIndex('rut', rut)];
}

export function sealedPhone(app: Pick<RunningApp, 'personalData'>, phone: string): [string, Buffer] {
  return [app.personalData.encrypt('phone', phone), app.personalData.blindIndex('phone', phone)];
}

export function rutIndex(app: Pick<RunningApp, 'personalData'>, rut: string): Buffer {
  return app.personalData.blindIndex('rut', rut);
}

/** A phone of the shape the kiosk accepts, derived from a chat id (unique per chat in a test). */
export function phoneForChat(chatId: number): string {
  return `+569${String(chatId % 100_000_000).padStart(8, '0')}`;
}

/**
 * A chat that registered a RUT and shared its own phone in the bot (a contact Telegram vouches
 * for), straight in the database. SPEC §22: the typed RUT reaches nothing; the verified phone
 * reaches the kiosk tickets given with it. Returns that phone, for the kiosk ticket.
 */
export async function chatWithOwnPhone(
  app: Pick<RunningApp, 'personalData'> & { db: { query(sql: string, params?: unknown[]): Promise<unknown> } },
  chatId: number,
  nationalId: string,
  extra: { name?: string } = {},
): Promise<string> {
  const phone = phoneForChat(chatId);
  await app.db.query(
    `insert into telegram_customer (chat_id, national_id_enc, national_id_bidx, phone_enc, phone_bidx, name) values ($1, $2, $3, $4, $5, $6)`,
    [chatId, ...sealedRut(app, nationalId), ...sealedPhone(app, phone), extra.name ?? null],
  );
  return phone;
}
