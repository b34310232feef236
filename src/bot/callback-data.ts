import { createHash } from 'node:crypto';
import { isQueueType, type QueueType } from '../domain/queue-types.js';
import { ADVISOR_STATUSES, type AdvisorStatus } from '../modules/advisors/advisor.entity.js';

/*
 * Inline-button payloads (at most 64 bytes). Everything pressed is parsed and validated here:
 * a forged, stale or foreign payload parses to null and gets a polite "no longer available".
 */
export type Callback =
  | { kind: 'branch'; branchKey: string }
  | { kind: 'queue'; branchKey: string; queue: QueueType }
  | { kind: 'cancel'; confirm: boolean; ticketId: number }
  | { kind: 'advisor-status'; status: AdvisorStatus }
  | { kind: 'advisor-finish'; outcome: 'COMPLETADO' | 'NO_ATENDIDO' }
  | { kind: 'advisor-refresh' }
  | { kind: 'erase'; confirm: boolean };

/** Branch names can be long: buttons carry a short, stable key. */
export const branchKey = (branch: string): string => createHash('sha256').update(branch).digest('hex').slice(0, 10);

export const callbackData = {
  branch: (branch: string) => `tk:b:${branchKey(branch)}`,
  queue: (branch: string, queue: QueueType) => `tk:q:${branchKey(branch)}:${queue}`,
  cancel: (confirm: boolean, ticketId: number) => `cx:${confirm ? 'y' : 'n'}:${ticketId}`,
  advisorStatus: (status: AdvisorStatus) => `adv:s:${status}`,
  advisorFinish: (outcome: 'COMPLETADO' | 'NO_ATENDIDO') => `adv:f:${outcome === 'COMPLETADO' ? 'c' : 'n'}`,
  advisorRefresh: () => 'adv:r',
  erase: (confirm: boolean) => `pd:${confirm ? 'y' : 'n'}`,
};

export function parseCallback(data: string | undefined): Callback | null {
  if (!data || data.length > 64) return null;
  const parts = data.split(':');
  const [scope, action, a, b] = parts;
  if (scope === 'tk' && action === 'b' && parts.length === 3 && /^[0-9a-f]{10}$/.test(a ?? '')) {
    return { kind: 'branch', branchKey: a! };
  }
  if (scope === 'tk' && action === 'q' && parts.length === 4 && /^[0-9a-f]{10}$/.test(a ?? '') && isQueueType(b)) {
    return { kind: 'queue', branchKey: a!, queue: b };
  }
  if (scope === 'cx' && (action === 'y' || action === 'n') && parts.length === 3 && /^\d{1,15}$/.test(a ?? '')) {
    return { kind: 'cancel', confirm: action === 'y', ticketId: Number(a) };
  }
  if (scope === 'adv' && action === 's' && parts.length === 3 && (ADVISOR_STATUSES as readonly string[]).includes(a ?? '')) {
    return { kind: 'advisor-status', status: a as AdvisorStatus };
  }
  if (scope === 'adv' && action === 'f' && parts.length === 3 && (a === 'c' || a === 'n')) {
    return { kind: 'advisor-finish', outcome: a === 'c' ? 'COMPLETADO' : 'NO_ATENDIDO' };
  }
  if (scope === 'adv' && action === 'r' && parts.length === 2) return { kind: 'advisor-refresh' };
  if (scope === 'pd' && (action === 'y' || action === 'n') && parts.length === 2) return { kind: 'erase', confirm: action === 'y' };
  return null;
}
