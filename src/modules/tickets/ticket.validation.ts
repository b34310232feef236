import { ATENCION_PREFERENTE, isAtencionPreferente, type AtencionPreferente } from '../../domain/floor.js';
import { normalisePhone } from '../../domain/phone.js';
import { QUEUE_TYPES, isQueueType, type QueueType } from '../../domain/queue-types.js';
import { parseRut } from '../../domain/rut.js';
import { fieldErrors, hasControlCharacters, ValidationError } from '../../errors.js';

export interface TakeTicketCommand {
  nationalId: string;
  telefono: string | null;
  branchOffice: string | null;
  queueType: QueueType;
  /** Preferential attention (SPEC §12), or null. */
  atencionPreferente?: AtencionPreferente | null;
  /** SPEC §19: the customer ticked the phone's own consent checkbox (stored with the ticket). */
  consentimientoTelefono?: boolean;
}

const ALLOWED_FIELDS = new Set(['nationalId', 'telefono', 'branchOffice', 'queueType', 'atencionPreferente', 'consentimientoTelefono']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a request to take a ticket, whatever door it came through; every problem is named by field. */
export function parseTakeTicket(input: unknown): TakeTicketCommand {
  if (!isPlainObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();

  for (const key of Object.keys(input)) {
    if (!ALLOWED_FIELDS.has(key)) campos[key.slice(0, 50)] = 'Campo no permitido';
  }

  let nationalId = '';
  const rawRut = input.nationalId;
  if (rawRut === undefined || rawRut === null || rawRut === '') campos.nationalId = 'El RUT es obligatorio';
  else if (typeof rawRut !== 'string') campos.nationalId = 'El RUT debe ser texto';
  else if (rawRut.length > 20) campos.nationalId = 'El RUT no tiene un formato válido (ej: 12.345.678-5)';
  else {
    const rut = parseRut(rawRut);
    if (rut.ok) nationalId = rut.rut;
    else campos.nationalId = rut.reason;
  }

  let telefono: string | null = null;
  const rawPhone = input.telefono;
  if (rawPhone !== undefined && rawPhone !== null && rawPhone !== '') {
    if (typeof rawPhone !== 'string' || rawPhone.length > 20) {
      campos.telefono = 'El teléfono debe tener el formato +56 seguido de 9 dígitos';
    } else {
      telefono = normalisePhone(rawPhone);
      if (!telefono) campos.telefono = 'El teléfono debe tener el formato +56 seguido de 9 dígitos';
    }
  }

  let branchOffice: string | null = null;
  const rawBranch = input.branchOffice;
  if (rawBranch !== undefined && rawBranch !== null) {
    const problem = branchOfficeProblem(rawBranch);
    if (problem) campos.branchOffice = problem;
    else branchOffice = (rawBranch as string).trim();
  }

  const rawQueue = input.queueType;
  if (rawQueue === undefined || rawQueue === null || rawQueue === '') {
    campos.queueType = `El tipo de cola es obligatorio (${QUEUE_TYPES.join(', ')})`;
  } else if (!isQueueType(rawQueue)) {
    campos.queueType = `El tipo de cola debe ser uno de: ${QUEUE_TYPES.join(', ')}`;
  }

  const rawPreferente = input.atencionPreferente;
  if (rawPreferente !== undefined && rawPreferente !== null && !isAtencionPreferente(rawPreferente)) {
    campos.atencionPreferente = `La atención preferente debe ser una de: ${ATENCION_PREFERENTE.join(', ')}`;
  }

  const rawConsent = input.consentimientoTelefono;
  if (rawConsent !== undefined && rawConsent !== null && typeof rawConsent !== 'boolean') {
    campos.consentimientoTelefono = 'El consentimiento debe ser true o false';
  } else if (rawConsent === true && telefono === null && !campos.telefono) {
    campos.consentimientoTelefono = 'Sin teléfono no hay consentimiento que guardar';
  }

  if (Object.keys(campos).length > 0) throw new ValidationError(campos);
  return {
    consentimientoTelefono: rawConsent === true,
    nationalId,
    telefono,
    branchOffice,
    queueType: rawQueue as QueueType,
    atencionPreferente: isAtencionPreferente(rawPreferente) ? rawPreferente : null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERO = /^[CPEG]\d{2,8}$/;

export function parseCodigoReferencia(value: string): string {
  if (!UUID.test(value)) throw new ValidationError({ codigoReferencia: 'El código de referencia debe ser un UUID' });
  return value.toLowerCase();
}

export function parseNumero(value: string): string {
  const numero = value.toUpperCase();
  if (!NUMERO.test(numero)) throw new ValidationError({ numero: 'El número de turno no es válido (ej: C05)' });
  return numero;
}

function branchOfficeProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 100) {
    return 'La sucursal debe ser un texto de 1 a 100 caracteres';
  }
  if (hasControlCharacters(value)) return 'La sucursal contiene caracteres no permitidos';
  return null;
}

/** A branch named in a query string; empty means the default branch. */
export function parseBranchOffice(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  const problem = branchOfficeProblem(value);
  if (problem) throw new ValidationError({ branchOffice: problem });
  return value.trim();
}
