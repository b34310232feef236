import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseCallback, callbackData } from '../../src/bot/callback-data.js';
import { messageButtons, renderMessage } from '../../src/modules/notifications/templates.js';
import { parseCallOutOfOrder, parseTransfer } from '../../src/http/schemas/floor.js';
import { ValidationError } from '../../src/errors.js';
import { KIOSK_KEY } from '../support/keys.js';

const base = { KIOSK_API_KEY: KIOSK_KEY };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (error) {
    return error instanceof ConfigError ? error.problems : ['?'];
  }
};

describe('the floor’s settings (SPEC §12)', () => {
  it('has the documented defaults', () => {
    expect(loadConfig(base).floor).toEqual({
      recallMax: 3,
      recallMinIntervalSeconds: 30,
      noShowMinCalls: 2,
      noShowAutoMinutes: 0,
      pauseReasons: ['Colación', 'Reunión', 'Trámite interno', 'Capacitación', 'Otro'],
      pauseAlertMinutes: 30,
      preferentialEvery: 2,
      closingTime: '19:00',
    });
  });

  it('reads a list of pause reasons, trimmed and without repeats', () => {
    expect(loadConfig({ ...base, PAUSE_REASONS: ' Almuerzo , Baño,Almuerzo ' }).floor.pauseReasons).toEqual(['Almuerzo', 'Baño']);
  });

  it.each([
    ['BRANCH_CLOSING_TIME', '7pm', 'BRANCH_CLOSING_TIME debe ser una hora HH:MM'],
    ['BRANCH_CLOSING_TIME', '24:00', 'BRANCH_CLOSING_TIME debe ser una hora HH:MM'],
    ['RECALL_MAX', '0', 'RECALL_MAX debe ser al menos 1'],
    ['PREFERENTIAL_EVERY', 'dos', 'PREFERENTIAL_EVERY debe ser un número entero'],
    ['PAUSE_REASONS', ' , ', 'PAUSE_REASONS debe listar de 1 a 20 motivos'],
    ['NO_SHOW_AUTO_MINUTES', '-1', 'NO_SHOW_AUTO_MINUTES debe ser al menos 0'],
  ])('stops on a bad %s (%s) naming the variable', (name, value, message) => {
    expect(problems({ [name]: value }).join('\n')).toContain(message);
  });
});

describe('the floor’s messages and buttons', () => {
  it('renders the closing and the survey messages, the survey with 1–5 buttons', () => {
    const data = { numero: 'C07', posicion: 0, tiempo: 0, modulo: null, nombreAsesor: null };
    expect(renderMessage('TOTEM_CIERRE_DIA', data)).toBe(
      '🌙 <b>La sucursal cerró por hoy</b>\n\nTu turno <b>C07</b> no alcanzó a ser atendido. Puedes tomar un número nuevo el próximo día hábil.',
    );
    expect(renderMessage('TOTEM_ENCUESTA', data)).toContain('¿Cómo te atendimos?');
    expect(messageButtons('TOTEM_ENCUESTA', 42)?.[0]?.map((b) => b.callback_data)).toEqual(['rt:42:1', 'rt:42:2', 'rt:42:3', 'rt:42:4', 'rt:42:5']);
    expect(messageButtons('TOTEM_ES_TU_TURNO', 42)).toBeNull();
  });

  it('parses the panel’s and the survey’s buttons, and refuses forged ones', () => {
    expect(parseCallback(callbackData.advisorTransferQueue(9, 'EMPRESAS'))).toEqual({ kind: 'advisor-transfer-queue', ticketId: 9, queue: 'EMPRESAS' });
    expect(parseCallback(callbackData.queue(1, 'CAJA', 'EMBARAZO'))).toMatchObject({ kind: 'queue', queue: 'CAJA', preferente: 'EMBARAZO' });
    expect(parseCallback(callbackData.advisorFinish('NO_ATENDIDO', 5))).toEqual({ kind: 'advisor-finish', outcome: 'NO_ATENDIDO', ticketId: 5 });
    expect(parseCallback('adv:f:n')).toEqual({ kind: 'advisor-finish', outcome: 'NO_ATENDIDO' });
    for (const forged of ['rt:1:6', 'rt:x:1', 'adv:tq:1:VIP', 'adv:o:X1', 'tk:q:0123456789:CAJA:Z', 'adv:p:abc']) {
      expect(parseCallback(forged), forged).toBeNull();
    }
  });

  it('checks transfer and out-of-order bodies field by field', () => {
    expect(parseTransfer({ queueType: 'EMPRESAS' })).toEqual({ queueType: 'EMPRESAS', advisorId: null, keepPlace: true, reason: null });
    expect(parseTransfer({ advisorId: 3, keepPlace: false, reason: ' x ' })).toEqual({ queueType: null, advisorId: 3, keepPlace: false, reason: 'x' });
    expect(() => parseTransfer({})).toThrow(ValidationError);
    expect(parseCallOutOfOrder({ numero: 'c05', reason: 'urgencia' })).toEqual({ numero: 'C05', reason: 'urgencia' });
    expect(() => parseCallOutOfOrder({ numero: 'C05' })).toThrow(ValidationError);
    expect(() => parseCallOutOfOrder({ numero: 5, reason: 'x' })).toThrow(ValidationError);
  });
});
