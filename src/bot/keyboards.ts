import { InlineKeyboard, Keyboard } from 'grammy';

import type { QueueType } from '../domain/queue-types.js';
import { callbackData } from './callback-data.js';
import { ATENCION_PREFERENTE, ATENCION_PREFERENTE_LABEL, type AtencionPreferente } from '../domain/floor.js';
import type { AdvisorView } from '../modules/advisors/advisor.service.js';
import { MAX_BRANCH_BUTTONS, type BranchChoice, type NearbyBranch } from '../modules/branches/branch-finder.js';
import { BUTTONS, PANEL, texts } from './texts.js';

/** SPEC §22: the single-use "Verificar mi RUT" link, as a button (Telegram previews no button). */
export function verifyRutKeyboard(url: string): InlineKeyboard {
  return new InlineKeyboard().url(BUTTONS.verifyRut, url);
}

export const mainKeyboard = (): Keyboard =>
  new Keyboard()
    .text(BUTTONS.take)
    .text(BUTTONS.myTurn)
    .row()
    // SPEC §17: the branch finder's nearest branches; Telegram asks before sharing anything.
    .requestLocation(BUTTONS.location)
    .row()
    .text(BUTTONS.rut)
    .requestContact(BUTTONS.phone)
    .row()
    .text(BUTTONS.cancel)
    .text(BUTTONS.help)
    .resized()
    .persistent();

export const contactKeyboard = (): Keyboard => new Keyboard().requestContact(BUTTONS.phone).resized().oneTime();

/**
 * Branches as buttons (SPEC §17): never more than MAX_BRANCH_BUTTONS, whatever the caller passes.
 * A closed branch is marked; its button still opens it, to say when it opens.
 */
export const branchKeyboard = (
  branches: readonly BranchChoice[],
  data: (branchId: number) => string = callbackData.branch,
): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const branch of branches.slice(0, MAX_BRANCH_BUTTONS)) keyboard.text(texts.branchButton(branch), data(branch.id)).row();
  return keyboard;
};

/** The nearest branches, in order, each with its distance. */
export const nearestKeyboard = (branches: readonly NearbyBranch[]): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const branch of branches.slice(0, MAX_BRANCH_BUTTONS)) {
    keyboard.text(texts.nearbyButton(branch), callbackData.branch(branch.id)).row();
  }
  return keyboard;
};

/** The queues the branch offers (SPEC §17), each with its live wait, and preferential attention. */
export const queueKeyboard = (
  branchId: number,
  figures: ReadonlyArray<{ queueType: QueueType; waiting: number; estimatedWaitMinutes: number }>,
  preferente: AtencionPreferente | null = null,
): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const f of figures) {
    keyboard.text(texts.queueButton(f.queueType, f.waiting, f.estimatedWaitMinutes), callbackData.queue(branchId, f.queueType, preferente)).row();
  }
  if (!preferente) keyboard.text(texts.preferentialButton, callbackData.preferentialMenu(branchId));
  return keyboard;
};

/** Which preferential attention (SPEC §12): then the queues again. */
export const preferentialKeyboard = (branchId: number): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const kind of ATENCION_PREFERENTE) keyboard.text(ATENCION_PREFERENTE_LABEL[kind], callbackData.preferential(branchId, kind)).row();
  return keyboard;
};

export const cancelKeyboard = (ticketId: number): InlineKeyboard =>
  new InlineKeyboard().text(texts.cancelYes, callbackData.cancel(true, ticketId)).text(texts.cancelNo, callbackData.cancel(false, ticketId));

/**
 * The advisor's /panel (SPEC §6, §12): what can be done now. Calling a customer: Llegó, Volver a
 * llamar, No se presentó, Transferir; serving: Completar, Transferir; free or on a pause: status,
 * Pausa (with a reason) and Llamar otro número. Ticket buttons carry the ticket's id.
 */
export const panelKeyboard = (advisor?: AdvisorView): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  const ticket = advisor?.currentTicket;
  if (ticket && ticket.stage === 'LLAMANDO') {
    keyboard
      .text(PANEL.arrived, callbackData.advisorArrived(ticket.id))
      .text(PANEL.recall, callbackData.advisorRecall(ticket.id))
      .row()
      .text(PANEL.noShow, callbackData.advisorFinish('NO_ATENDIDO', ticket.id))
      .text(PANEL.transfer, callbackData.advisorTransferMenu(ticket.id))
      .row()
      .text(PANEL.complete, callbackData.advisorFinish('COMPLETADO', ticket.id))
      .row();
  } else if (ticket) {
    keyboard
      .text(PANEL.complete, callbackData.advisorFinish('COMPLETADO', ticket.id))
      .text(PANEL.transfer, callbackData.advisorTransferMenu(ticket.id))
      .row();
  } else {
    keyboard
      .text(PANEL.available, callbackData.advisorStatus('AVAILABLE'))
      .text(PANEL.pause, callbackData.advisorPauseMenu())
      .text(PANEL.offline, callbackData.advisorStatus('OFFLINE'))
      .row()
      .text(PANEL.callOther, callbackData.advisorCallMenu())
      .row();
  }
  if (ticket) keyboard.text(PANEL.pause, callbackData.advisorPauseMenu());
  return keyboard.text(PANEL.refresh, callbackData.advisorRefresh());
};

/** One button per PAUSE_REASONS entry (by index: a reason list changed meanwhile makes old buttons stale). */
export const pauseKeyboard = (reasons: readonly string[]): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  reasons.forEach((reason, i) => keyboard.text(reason, callbackData.advisorPause(i)).row());
  return keyboard.text(PANEL.back, callbackData.advisorRefresh());
};

/** Where to send the customer: the branch's other queues, or a colleague by name. */
export const transferKeyboard = (
  ticketId: number,
  queues: readonly QueueType[],
  colleagues: ReadonlyArray<{ id: number; name: string }>,
): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const queue of queues) keyboard.text(texts.transferToQueue(queue), callbackData.advisorTransferQueue(ticketId, queue)).row();
  for (const c of colleagues) keyboard.text(texts.transferToAdvisor(c.name), callbackData.advisorTransferAdvisor(ticketId, c.id)).row();
  return keyboard.text(PANEL.back, callbackData.advisorRefresh());
};

/** The waiting numbers the advisor may call out of order. */
export const callKeyboard = (numeros: readonly string[]): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  numeros.forEach((numero, i) => {
    keyboard.text(numero, callbackData.advisorCall(numero));
    if (i % 4 === 3) keyboard.row();
  });
  return keyboard.row().text(PANEL.back, callbackData.advisorRefresh());
};

export const eraseKeyboard = (): InlineKeyboard =>
  new InlineKeyboard().text(texts.eraseYes, callbackData.erase(true)).text(texts.eraseNo, callbackData.erase(false));
