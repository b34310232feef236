import type { Plantilla } from './mensaje.entity.js';

export interface TemplateData {
  numero: string;
  posicion: number;
  tiempo: number;
  modulo: number | null;
  nombreAsesor: string | null;
  /** What the message was planned with (mensaje.datos): the call's number, the new queue. */
  datos?: Record<string, string | number> | null;
}

/** Text going into Telegram's HTML parse mode: only these three characters are special. */
export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The three notifications, word for word as SPEC §5 gives them (HTML parse mode). */
export function renderMessage(plantilla: Plantilla, data: TemplateData): string {
  const numero = escapeHtml(data.numero);
  switch (plantilla) {
    case 'TOTEM_TICKET_CREADO':
      return (
        `✅ <b>Ticket Creado</b>\n\n` +
        `Tu número de turno: <b>${numero}</b>\n` +
        `Posición en cola: <b>#${data.posicion}</b>\n` +
        `Tiempo estimado: <b>${data.tiempo} minutos</b>\n\n` +
        `Te notificaremos cuando estés próximo.`
      );
    case 'TOTEM_PROXIMO_TURNO':
      return (
        `⏰ <b>¡Pronto será tu turno!</b>\n\n` +
        `Turno: <b>${numero}</b>\n` +
        `Faltan aproximadamente 3 turnos.\n\n` +
        `Por favor, acércate a la sucursal.`
      );
    case 'TOTEM_ES_TU_TURNO':
      return (
        `🔔 <b>¡ES TU TURNO ${numero}!</b>\n\n` +
        `Dirígete al módulo: <b>${data.modulo ?? '-'}</b>\n` +
        `Asesor: <b>${escapeHtml(data.nombreAsesor ?? '-')}</b>`
      );
    // The service floor (SPEC §12)
    case 'TOTEM_RELLAMADO':
      return (
        `🔔 <b>¡Te estamos llamando! ${numero}</b>\n\n` +
        `Llamado ${data.datos?.n ?? 2} de ${data.datos?.max ?? 3}. Dirígete al módulo: <b>${data.modulo ?? '-'}</b>\n` +
        `Asesor: <b>${escapeHtml(data.nombreAsesor ?? '-')}</b>`
      );
    case 'TOTEM_TRANSFERIDO':
      return (
        `↪️ <b>Te derivamos a ${escapeHtml(String(data.datos?.fila ?? '-'))}</b>\n\n` +
        `Turno: <b>${numero}</b>\n` +
        `Posición en cola: <b>#${data.posicion}</b>\n` +
        `Tiempo estimado: <b>${data.tiempo} minutos</b>`
      );
    case 'TOTEM_ENCUESTA':
      return `⭐ <b>¿Cómo te atendimos?</b>\n\nTurno: <b>${numero}</b>\nElige una nota de 1 (muy mal) a 5 (excelente).`;
    case 'TOTEM_CIERRE_DIA':
      return (
        `🌙 <b>La sucursal cerró por hoy</b>\n\n` +
        `Tu turno <b>${numero}</b> no alcanzó a ser atendido. Puedes tomar un número nuevo el próximo día hábil.`
      );
  }
}

/** Inline buttons that go with a message: the 1–5 rating of TOTEM_ENCUESTA (callback `rt:<ticket>:<nota>`). */
export function messageButtons(plantilla: Plantilla, ticketId: number): Array<Array<{ text: string; callback_data: string }>> | null {
  if (plantilla !== 'TOTEM_ENCUESTA') return null;
  return [[1, 2, 3, 4, 5].map((n) => ({ text: `${n} ⭐`, callback_data: `rt:${ticketId}:${n}` }))];
}
