import { computeCheckDigit } from '../../src/domain/rut.js';

/** A valid RUT for any number: `rut(1)` → `10000001-?` with its real check digit. */
export function rut(n: number): string {
  const body = String(10_000_000 + n);
  return `${body}-${computeCheckDigit(body)}`;
}
