import { isQueueType, QUEUE_TYPES } from '../../domain/queue-types.js';
import { fieldErrors, hasControlCharacters, ValidationError } from '../../errors.js';
import { parseNumero } from '../tickets/ticket.validation.js';
import type { TransferCommand } from './floor.service.js';

/*
 * The floor's requests as the HTTP doors receive them (admin API, supervisor page), checked
 * field by field: unknown fields, wrong types and bad values are a 400 naming the field.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]) {
  const campos = fieldErrors();
  for (const key of Object.keys(body)) if (!allowed.includes(key)) campos[key.slice(0, 50)] = 'Campo no permitido';
  return campos;
}

function optionalText(value: unknown, field: string, campos: Record<string, string>, max = 200): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max || hasControlCharacters(value)) {
    campos[field] = `Debe ser texto de hasta ${max} caracteres`;
    return null;
  }
  return value.trim() || null;
}

/** `{queueType?, advisorId?, keepPlace?: true, reason?}` */
export function parseTransfer(body: unknown): TransferCommand {
  if (!isObject(body)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = onlyFields(body, ['queueType', 'advisorId', 'keepPlace', 'reason']);
  const { queueType, advisorId, keepPlace } = body;
  if (queueType !== undefined && queueType !== null && !isQueueType(queueType)) {
    campos.queueType = `La fila debe ser una de: ${QUEUE_TYPES.join(', ')}`;
  }
  if (advisorId !== undefined && advisorId !== null && (typeof advisorId !== 'number' || !Number.isSafeInteger(advisorId) || advisorId < 1)) {
    campos.advisorId = 'El id del asesor debe ser un entero positivo';
  }
  if (keepPlace !== undefined && typeof keepPlace !== 'boolean') campos.keepPlace = 'Debe ser true o false';
  const reason = optionalText(body.reason, 'reason', campos);
  if ((queueType === undefined || queueType === null) && (advisorId === undefined || advisorId === null) && !campos.queueType) {
    campos.queueType = 'Indica la fila (queueType) o el asesor (advisorId) de destino';
  }
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return {
    queueType: isQueueType(queueType) ? queueType : null,
    advisorId: typeof advisorId === 'number' ? advisorId : null,
    keepPlace: keepPlace !== false,
    reason,
  };
}

/** `{numero, reason}`: a named ticket called out of order, and why. */
export function parseCallOutOfOrder(body: unknown): { numero: string; reason: string } {
  if (!isObject(body)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = onlyFields(body, ['numero', 'reason']);
  let numero = '';
  if (typeof body.numero !== 'string') campos.numero = 'El número de turno es obligatorio (ej: C05)';
  else {
    try {
      numero = parseNumero(body.numero.trim());
    } catch {
      campos.numero = 'El número de turno no es válido (ej: C05)';
    }
  }
  const reason = optionalText(body.reason, 'reason', campos);
  if (!reason && !campos.reason) campos.reason = 'Indica el motivo del llamado fuera de orden';
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { numero, reason: reason! };
}
