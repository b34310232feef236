import thermal from 'node-thermal-printer';

/** What a printed ticket says (SPEC §19), already in the words and the time of its branch. */
export interface ReceiptContent {
  branch: string;
  numero: string;
  queue: string;
  /** `05/12/2026 09:41`, the branch's local date and time. */
  dateTime: string;
  ahead: string;
  estimate: string;
  /** The single-use `https://t.me/<bot>?start=k_…` link as a QR; null while Telegram is off. */
  link: string | null;
  /** "o escribe /turno ABCD-EF23 al bot"; null while Telegram is off. */
  codeLine: string | null;
  footer: string;
}

/** Bytes for an 80 mm Epson-compatible printer (48 columns in font A). */
const COLUMNS = 48;

/**
 * The ticket as ESC/POS: `node-thermal-printer` (EPSON) only builds the bytes here — sending them,
 * after reading the printer's status, is the printer client's job. The number is double width and
 * height (`ESC !` 0x30), the QR is the printer's own (`GS ( k`, model 2, level M), then a full cut
 * (`GS V`).
 */
export function renderReceipt(content: ReceiptContent): Buffer {
  const printer = new thermal.ThermalPrinter({
    type: thermal.PrinterTypes.EPSON,
    // No interface: this object never opens a connection.
    interface: '',
    width: COLUMNS,
    characterSet: thermal.CharacterSet.PC850_MULTILINGUAL,
    removeSpecialCharacters: false,
  });
  printer.append(Buffer.from([0x1b, 0x40])); // ESC @: start from the printer's defaults
  printer.alignCenter();
  printer.bold(true);
  printer.println(content.branch);
  printer.bold(false);
  printer.println(content.dateTime);
  printer.newLine();
  printer.setTextQuadArea();
  printer.println(content.numero);
  printer.setTextNormal();
  printer.bold(true);
  printer.println(content.queue);
  printer.bold(false);
  printer.println(content.ahead);
  printer.println(content.estimate);
  if (content.link) {
    printer.newLine();
    printer.printQR(content.link, { cellSize: 6, correction: 'M', model: 2 });
    printer.newLine();
    if (content.codeLine) printer.println(content.codeLine);
  }
  printer.newLine();
  printer.println(content.footer);
  printer.cut();
  return printer.getBuffer();
}
