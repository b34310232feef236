/**
 * Chilean RUT (Rol Único Tributario): a body of digits plus a module-11 check digit.
 * Accepted inputs: `12.345.678-5`, `12345678-5`, `123456785`, with `k`/`K` as check digit.
 * Stored normalised as `12345678-5`.
 */
export type RutResult = { ok: true; rut: string } | { ok: false; reason: string };

const RUT_SHAPE = /^(\d{1,3}(?:\.\d{3}){1,2}|\d{1,9})-?([\dkK])$/;

export function computeCheckDigit(body: string): string {
  let sum = 0;
  let factor = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += Number(body[i]) * factor;
    factor = factor === 7 ? 2 : factor + 1;
  }
  const rest = 11 - (sum % 11);
  if (rest === 11) return '0';
  if (rest === 10) return 'K';
  return String(rest);
}

export function parseRut(input: string): RutResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'El RUT es obligatorio' };
  const match = RUT_SHAPE.exec(trimmed);
  if (!match) return { ok: false, reason: 'El RUT no tiene un formato válido (ej: 12.345.678-5)' };
  const body = match[1]!.replaceAll('.', '').replace(/^0+/, '');
  const checkDigit = match[2]!.toUpperCase();
  if (body.length === 0 || body.length > 8) {
    return { ok: false, reason: 'El RUT no tiene un formato válido (ej: 12.345.678-5)' };
  }
  if (computeCheckDigit(body) !== checkDigit) {
    return { ok: false, reason: 'El dígito verificador del RUT no es válido' };
  }
  return { ok: true, rut: `${body}-${checkDigit}` };
}

/** `12345678-5` → `12.***.***-5`: enough for a person to recognise, useless to anyone else. */
export function maskRut(rut: string): string {
  const match = /^(\d+)-([\dK])$/i.exec(rut.replaceAll('.', '').trim());
  if (!match) return '***';
  const body = match[1]!;
  return `${body.slice(0, Math.max(1, body.length - 6))}.***.***-${match[2]!.toUpperCase()}`;
}
