import { isQueueType, type QueueType } from '../domain/queue-types.js';
import type { AtencionPreferente } from '../domain/floor.js';
import { ADVISOR_STATUSES, type AdvisorStatus } from '../modules/advisors/advisor.entity.js';

/*
 * Inline-button payloads (at most 64 bytes). Everything pressed is parsed and validated here:
 * a forged, stale or foreign payload parses to null and gets a polite "no longer available".
 */
export type Callback =
  | { kind: 'branch'; branchId: number }
  | { kind: 'queue'; branchId: number; queue: QueueType; preferente: AtencionPreferente | null }
  | { kind: 'preferential-menu'; branchId: number }
  | { kind: 'preferential'; branchId: number; preferente: AtencionPreferente }
  | { kind: 'supervisor-branch'; branchId: number }
  | { kind: 'rating'; ticketId: number; score: number }
  | { kind: 'cancel'; confirm: boolean; ticketId: number }
  | { kind: 'advisor-status'; status: AdvisorStatus }
  | { kind: 'advisor-finish'; outcome: 'COMPLETADO' | 'NO_ATENDIDO'; ticketId?: number }
  | { kind: 'advisor-refresh' }
  // The service floor (SPEC §12); ticket ids make a stale panel's buttons harmless.
  | { kind: 'advisor-pause-menu' }
  | { kind: 'advisor-pause'; reasonIndex: number }
  | { kind: 'advisor-arrived'; ticketId: number }
  | { kind: 'advisor-recall'; ticketId: number }
  | { kind: 'advisor-transfer-menu'; ticketId: number }
  | { kind: 'advisor-transfer-queue'; ticketId: number; queue: QueueType }
  | { kind: 'advisor-transfer-advisor'; ticketId: number; advisorId: number }
  | { kind: 'advisor-call-menu' }
  | { kind: 'advisor-call'; numero: string }
  | { kind: 'erase'; confirm: boolean };

/*
 * Branch buttons carry the branch's id (SPEC §17: a branch is a row; a rename keeps its buttons
 * working). Buttons of the earlier hashed-name form parse to null or to an id no branch has: stale.
 */
export const callbackData = {
  branch: (branchId: number) => `tk:b:${branchId}`,
  queue: (branchId: number, queue: QueueType, preferente: AtencionPreferente | null = null) =>
    `tk:q:${branchId}:${queue}${preferente ? `:${PREFERENTE_CODE[preferente]}` : ''}`,
  preferentialMenu: (branchId: number) => `tk:pm:${branchId}`,
  preferential: (branchId: number, preferente: AtencionPreferente) => `tk:pf:${branchId}:${PREFERENTE_CODE[preferente]}`,
  supervisorBranch: (branchId: number) => `sv:b:${branchId}`,
  rating: (ticketId: number, score: number) => `rt:${ticketId}:${score}`,
  cancel: (confirm: boolean, ticketId: number) => `cx:${confirm ? 'y' : 'n'}:${ticketId}`,
  advisorStatus: (status: AdvisorStatus) => `adv:s:${status}`,
  advisorFinish: (outcome: 'COMPLETADO' | 'NO_ATENDIDO', ticketId?: number) =>
    `adv:f:${outcome === 'COMPLETADO' ? 'c' : 'n'}${ticketId ? `:${ticketId}` : ''}`,
  advisorRefresh: () => 'adv:r',
  erase: (confirm: boolean) => `pd:${confirm ? 'y' : 'n'}`,
  advisorPauseMenu: () => 'adv:pm',
  advisorPause: (reasonIndex: number) => `adv:p:${reasonIndex}`,
  advisorArrived: (ticketId: number) => `adv:a:${ticketId}`,
  advisorRecall: (ticketId: number) => `adv:rc:${ticketId}`,
  advisorTransferMenu: (ticketId: number) => `adv:t:${ticketId}`,
  advisorTransferQueue: (ticketId: number, queue: QueueType) => `adv:tq:${ticketId}:${queue}`,
  advisorTransferAdvisor: (ticketId: number, advisorId: number) => `adv:ta:${ticketId}:${advisorId}`,
  advisorCallMenu: () => 'adv:om',
  advisorCall: (numero: string) => `adv:o:${numero}`,
};

const PREFERENTE_CODE: Record<AtencionPreferente, string> = {
  TERCERA_EDAD: 'T',
  EMBARAZO: 'E',
  DISCAPACIDAD: 'D',
  NINO_EN_BRAZOS: 'N',
};
const PREFERENTE_BY_CODE = new Map(Object.entries(PREFERENTE_CODE).map(([k, v]) => [v, k as AtencionPreferente]));
const ID = /^\d{1,15}$/;

export function parseCallback(data: string | undefined): Callback | null {
  if (!data || data.length > 64) return null;
  const parts = data.split(':');
  const [scope, action, a, b] = parts;
  if (scope === 'tk' && action === 'b' && parts.length === 3 && ID.test(a ?? '')) {
    return { kind: 'branch', branchId: Number(a) };
  }
  if (scope === 'sv' && action === 'b' && parts.length === 3 && ID.test(a ?? '')) {
    return { kind: 'supervisor-branch', branchId: Number(a) };
  }
  const [, , , , c] = parts;
  if (scope === 'tk' && action === 'q' && (parts.length === 4 || parts.length === 5) && ID.test(a ?? '') && isQueueType(b)) {
    const preferente = c === undefined ? null : PREFERENTE_BY_CODE.get(c);
    if (preferente === undefined) return null;
    return { kind: 'queue', branchId: Number(a), queue: b, preferente };
  }
  if (scope === 'tk' && action === 'pm' && parts.length === 3 && ID.test(a ?? '')) {
    return { kind: 'preferential-menu', branchId: Number(a) };
  }
  if (scope === 'tk' && action === 'pf' && parts.length === 4 && ID.test(a ?? '') && PREFERENTE_BY_CODE.has(b ?? '')) {
    return { kind: 'preferential', branchId: Number(a), preferente: PREFERENTE_BY_CODE.get(b!)! };
  }
  if (scope === 'rt' && parts.length === 3 && ID.test(action ?? '') && /^[1-5]$/.test(a ?? '')) {
    return { kind: 'rating', ticketId: Number(action), score: Number(a) };
  }
  if (scope === 'cx' && (action === 'y' || action === 'n') && parts.length === 3 && /^\d{1,15}$/.test(a ?? '')) {
    return { kind: 'cancel', confirm: action === 'y', ticketId: Number(a) };
  }
  if (scope === 'adv' && action === 's' && parts.length === 3 && (ADVISOR_STATUSES as readonly string[]).includes(a ?? '')) {
    return { kind: 'advisor-status', status: a as AdvisorStatus };
  }
  if (scope === 'adv' && action === 'f' && (parts.length === 3 || (parts.length === 4 && ID.test(b ?? ''))) && (a === 'c' || a === 'n')) {
    return { kind: 'advisor-finish', outcome: a === 'c' ? 'COMPLETADO' : 'NO_ATENDIDO', ...(b ? { ticketId: Number(b) } : {}) };
  }
  if (scope === 'adv' && action === 'r' && parts.length === 2) return { kind: 'advisor-refresh' };
  if (scope === 'pd' && (action === 'y' || action === 'n') && parts.length === 2) return { kind: 'erase', confirm: action === 'y' };
  if (scope === 'adv' && action === 'pm' && parts.length === 2) return { kind: 'advisor-pause-menu' };
  if (scope === 'adv' && action === 'om' && parts.length === 2) return { kind: 'advisor-call-menu' };
  if (scope === 'adv' && action === 'p' && parts.length === 3 && /^\d{1,2}$/.test(a ?? '')) {
    return { kind: 'advisor-pause', reasonIndex: Number(a) };
  }
  if (scope === 'adv' && parts.length === 3 && ID.test(a ?? '')) {
    if (action === 'a') return { kind: 'advisor-arrived', ticketId: Number(a) };
    if (action === 'rc') return { kind: 'advisor-recall', ticketId: Number(a) };
    if (action === 't') return { kind: 'advisor-transfer-menu', ticketId: Number(a) };
  }
  if (scope === 'adv' && action === 'tq' && parts.length === 4 && ID.test(a ?? '') && isQueueType(b)) {
    return { kind: 'advisor-transfer-queue', ticketId: Number(a), queue: b };
  }
  if (scope === 'adv' && action === 'ta' && parts.length === 4 && ID.test(a ?? '') && ID.test(b ?? '')) {
    return { kind: 'advisor-transfer-advisor', ticketId: Number(a), advisorId: Number(b) };
  }
  if (scope === 'adv' && action === 'o' && parts.length === 3 && /^[CPEG]\d{2,8}$/.test(a ?? '')) {
    return { kind: 'advisor-call', numero: a! };
  }
  return null;
}
