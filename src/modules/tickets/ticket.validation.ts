import type { AtencionPreferente } from '../../domain/floor.js';
import type { QueueType } from '../../domain/queue-types.js';
import { hasControlCharacters, ValidationError } from '../../errors.js';

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

const NUMERO = /^[CPEG]\d{2,8}$/;

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
