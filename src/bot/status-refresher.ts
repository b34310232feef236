import type { Services } from '../services.js';
import { texts } from './texts.js';

const FINISHED = new Set(['COMPLETADO', 'CANCELADO', 'NO_ATENDIDO']);

/** What one run of the status-messages job did. */
export interface StatusPlan extends Record<string, unknown> {
  tracked: number;
  /** Messages given a new text to show (the dispatcher edits them). */
  planned: number;
  /** Messages no longer followed: their ticket ended and they say so. */
  forgotten: number;
}

/**
 * Keeps each chat's "Mi turno" message current (the status-messages job): the text it should show
 * is planned, and the dispatcher makes the edit under its rate cap, circuit breaker and retry rules
 * (at most one edit per message per run, never a Telegram call here). A message is forgotten once its
 * ticket ended and the message shows it.
 */
export async function planStatusMessages({ tickets, statusMessages }: Pick<Services, 'tickets' | 'statusMessages'>): Promise<StatusPlan> {
  const tracked = await statusMessages.tracked();
  const plan: StatusPlan = { tracked: tracked.length, planned: 0, forgotten: 0 };
  for (const status of tracked) {
    const ticket = await tickets.getByCodigo(status.codigo);
    const text = texts.status(ticket);
    if (text === status.lastText) {
      if (FINISHED.has(ticket.status)) {
        await statusMessages.forget(status);
        plan.forgotten++;
      } else if (status.pendingText !== null) {
        await statusMessages.plan(status, null);
      }
    } else if (text !== status.pendingText) {
      await statusMessages.plan(status, text);
      plan.planned++;
    }
  }
  return plan;
}
