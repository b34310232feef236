import type { Plantilla } from './mensaje.entity.js';

export interface TemplateData {
  numero: string;
  posicion: number;
  tiempo: number;
  modulo: number | null;
  nombreAsesor: string | null;
}

/** Text going into Telegram's HTML parse mode: only these three characters are special. */
export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** SPEC §13's truthful `{delante}`: who is really ahead of a ticket at position `posicion` (0 = being called). */
export function peopleAhead(posicion: number): string {
  const ahead = Math.max(0, posicion - 1);
  if (ahead === 0) return 'Eres el siguiente.';
  if (ahead === 1) return 'Hay 1 persona antes que tú.';
  return `Hay ${ahead} personas antes que tú.`;
}

/** The three notifications, word for word as SPEC §5 gives them (HTML parse mode); PROXIMO as §13 replaces it. */
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
        `${peopleAhead(data.posicion)}\n` +
        `Tiempo estimado: <b>${data.tiempo} minutos</b>\n\n` +
        `Por favor, acércate a la sucursal.`
      );
    case 'TOTEM_ES_TU_TURNO':
      return (
        `🔔 <b>¡ES TU TURNO ${numero}!</b>\n\n` +
        `Dirígete al módulo: <b>${data.modulo ?? '-'}</b>\n` +
        `Asesor: <b>${escapeHtml(data.nombreAsesor ?? '-')}</b>`
      );
  }
}
