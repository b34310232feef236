import { InlineKeyboard, Keyboard } from 'grammy';
import { QUEUE_TYPES, type QueueType } from '../domain/queue-types.js';
import { callbackData } from './callback-data.js';
import { BUTTONS, texts } from './texts.js';

export const mainKeyboard = (): Keyboard =>
  new Keyboard()
    .text(BUTTONS.take)
    .text(BUTTONS.myTurn)
    .row()
    .text(BUTTONS.rut)
    .requestContact(BUTTONS.phone)
    .row()
    .text(BUTTONS.cancel)
    .text(BUTTONS.help)
    .resized()
    .persistent();

export const contactKeyboard = (): Keyboard => new Keyboard().requestContact(BUTTONS.phone).resized().oneTime();

export const branchKeyboard = (branches: string[]): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const branch of branches) keyboard.text(branch, callbackData.branch(branch)).row();
  return keyboard;
};

export const queueKeyboard = (
  branch: string,
  figures: Array<{ queueType: QueueType; waiting: number; estimatedWaitMinutes: number }>,
): InlineKeyboard => {
  const keyboard = new InlineKeyboard();
  for (const queue of QUEUE_TYPES) {
    const f = figures.find((x) => x.queueType === queue);
    keyboard.text(texts.queueButton(queue, f?.waiting ?? 0, f?.estimatedWaitMinutes ?? 0), callbackData.queue(branch, queue)).row();
  }
  return keyboard;
};

export const cancelKeyboard = (ticketId: number): InlineKeyboard =>
  new InlineKeyboard().text(texts.cancelYes, callbackData.cancel(true, ticketId)).text(texts.cancelNo, callbackData.cancel(false, ticketId));

export const panelKeyboard = (): InlineKeyboard =>
  new InlineKeyboard()
    .text('🟢 Disponible', callbackData.advisorStatus('AVAILABLE'))
    .text('🟡 Pausa', callbackData.advisorStatus('BUSY'))
    .text('⚫ Desconectado', callbackData.advisorStatus('OFFLINE'))
    .row()
    .text('✅ Completar', callbackData.advisorFinish('COMPLETADO'))
    .text('🚫 No se presentó', callbackData.advisorFinish('NO_ATENDIDO'))
    .row()
    .text('🔄 Actualizar', callbackData.advisorRefresh());

export const eraseKeyboard = (): InlineKeyboard =>
  new InlineKeyboard().text(texts.eraseYes, callbackData.erase(true)).text(texts.eraseNo, callbackData.erase(false));
