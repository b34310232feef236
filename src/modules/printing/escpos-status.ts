/**
 * The ESC/POS real-time status a thermal printer answers to `DLE EOT n` (Epson's reference, also
 * followed by the usual 80 mm clones): one byte each, answered even while the printer is offline.
 *
 * - n=1, printer status: bit 3 = offline.
 * - n=2, offline cause: bit 2 = cover open, bit 5 = printing stopped by paper end, bit 6 = error.
 * - n=4, roll paper sensor: bits 2–3 = near end (still prints), bits 5–6 = paper end.
 *
 * A status byte always has bit 1 and bit 4 set and bits 0 and 7 clear: anything else is not an
 * answer to our question (a printer that speaks another language, or noise).
 */
export const DLE_EOT = (n: 1 | 2 | 4): Buffer => Buffer.from([0x10, 0x04, n]);

/** The three bytes, in the order asked. */
export interface StatusBytes {
  printer: number;
  offlineCause: number;
  paper: number;
}

/** What the server makes of them before it sends a ticket. */
export type PrinterReadiness = 'LISTA' | 'SIN_PAPEL' | 'NO_LISTA';

export function isStatusByte(byte: number): boolean {
  return (byte & 0b1001_0011) === 0b0001_0010;
}

export function readiness(status: StatusBytes): PrinterReadiness {
  if ((status.paper & 0x60) !== 0 || (status.offlineCause & 0x20) !== 0) return 'SIN_PAPEL';
  if ((status.printer & 0x08) !== 0 || (status.offlineCause & 0x44) !== 0) return 'NO_LISTA';
  return 'LISTA';
}

/** The bytes a ready printer answers (used by the fake printer and the tests). */
export const READY_STATUS: StatusBytes = { printer: 0x12, offlineCause: 0x12, paper: 0x12 };
/** Paper out: offline, stopped by paper end, roll sensor says paper end. */
export const PAPER_OUT_STATUS: StatusBytes = { printer: 0x1a, offlineCause: 0x32, paper: 0x72 };
