import type { Config } from '../../config.js';

/**
 * Which notification goes first when Telegram's cap is reached (SPEC §16), in one place: lower
 * goes first. Calls ("your turn", recalls) before "near", before "created" and transfers, before
 * the survey. A template not listed here goes with "created".
 */
export const URGENCY: Readonly<Record<string, number>> = {
  TOTEM_ES_TU_TURNO: 0,
  TOTEM_RELLAMADO: 0,
  TOTEM_PROXIMO_TURNO: 1,
  // The day ended with the customer still waiting: they should know before leaving for the branch.
  TOTEM_CIERRE_DIA: 1,
  TOTEM_TICKET_CREADO: 2,
  TOTEM_TRANSFERIDO: 2,
  TOTEM_ENCUESTA: 3,
};
const DEFAULT_URGENCY = 2;

/**
 * Informational messages: one still unsent when a later, more urgent message of the same ticket
 * is due is dropped as superseded (its news is out of date, and it would hold the call back).
 */
export const SUPERSEDABLE: readonly string[] = ['TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO', 'TOTEM_TRANSFERIDO'];

/** The error_message of a superseded message. */
export const SUPERSEDED_REASON = 'reemplazado por un mensaje posterior';

/**
 * How long the overtaking message must have been due before the older one is dropped: under
 * the cap every message goes out well within it, so a ticket called at once still gets all its
 * messages (SPEC §5); only a backlog makes anything superseded.
 */
export const SUPERSEDE_AFTER_MS = 1000;

export function urgencyOf(plantilla: string): number {
  return URGENCY[plantilla] ?? DEFAULT_URGENCY;
}

/** The urgency of the rows of `alias`, as SQL. */
export function urgencySql(alias: string): string {
  const arms = Object.entries(URGENCY).map(([plantilla, urgency]) => `when '${plantilla}' then ${urgency}`);
  return `(case ${alias}.plantilla ${arms.join(' ')} else ${DEFAULT_URGENCY} end)`;
}

/** Telegram's limit for a bot that pays for broadcasts (`allow_paid_broadcast`), messages per second. */
export const PAID_BROADCAST_MAX_PER_SECOND = 1000;

/** The sends a second the dispatcher allows itself: TELEGRAM_MAX_MSGS_PER_SEC, or the paid limit with TELEGRAM_PAID_BROADCAST. */
export function sendRatePerSecond(config: Pick<Config, 'telegram' | 'telegramPaidBroadcast'>): number {
  return config.telegramPaidBroadcast ? PAID_BROADCAST_MAX_PER_SECOND : config.telegram.maxMessagesPerSecond;
}
