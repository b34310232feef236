import { maskRut } from '../../domain/rut.js';
import type { PersonalDataCipher } from './cipher.js';

/** A ticket's RUT and phone the way they are stored: encrypted, indexed, and the RUT masked for the audit row. */
export interface SealedTicketPersonalData {
  nationalIdEnc: string;
  nationalIdBidx: Buffer;
  telefonoEnc: string | null;
  telefonoBidx: Buffer | null;
  maskedNationalId: string;
}

export function sealTicketPersonalData(
  cipher: PersonalDataCipher,
  nationalId: string,
  telefono: string | null,
): SealedTicketPersonalData {
  return {
    nationalIdEnc: cipher.encrypt('rut', nationalId),
    nationalIdBidx: cipher.blindIndex('rut', nationalId),
    telefonoEnc: cipher.encryptNullable('phone', telefono),
    telefonoBidx: cipher.blindIndexNullable('phone', telefono),
    maskedNationalId: maskRut(nationalId),
  };
}
