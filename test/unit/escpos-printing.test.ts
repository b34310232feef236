import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatusByte, PAPER_OUT_STATUS, READY_STATUS, readiness } from '../../src/modules/printing/escpos-status.js';
import { printOnce } from '../../src/modules/printing/printer-client.js';
import { renderReceipt, type ReceiptContent } from '../../src/modules/printing/ticket-receipt.js';
import { decodeEscPos, startFakePrinter, type FakePrinter } from '../support/fake-printer.js';

const content: ReceiptContent = {
  branch: 'Sucursal Ñuñoa',
  numero: 'C07',
  queue: 'Caja',
  dateTime: '05/12/2026 09:41',
  ahead: '3 personas antes que tú',
  estimate: 'Espera estimada: 12 min',
  link: 'https://t.me/ticketero_bot?start=k_0123456789abcdefghijABCDEFGHIJ_-0123456789a',
  codeLine: 'o escribe /turno ABCD-EF23 al bot',
  footer: 'Guarda este papel hasta que te llamen',
};

let printers: FakePrinter[] = [];
afterEach(async () => {
  await Promise.all(printers.map((p) => p.stop()));
  printers = [];
});
const fake = async (...args: Parameters<typeof startFakePrinter>): Promise<FakePrinter> => {
  const printer = await startFakePrinter(...args);
  printers.push(printer);
  return printer;
};

describe('ESC/POS status bytes (DLE EOT)', () => {
  it('reads ready, paper out, cover open and offline', () => {
    expect(readiness(READY_STATUS)).toBe('LISTA');
    expect(readiness(PAPER_OUT_STATUS)).toBe('SIN_PAPEL');
    // Paper near end still prints.
    expect(readiness({ ...READY_STATUS, paper: 0x1e })).toBe('LISTA');
    expect(readiness({ printer: 0x1a, offlineCause: 0x16, paper: 0x12 })).toBe('NO_LISTA');
    expect(readiness({ printer: 0x1a, offlineCause: 0x12, paper: 0x12 })).toBe('NO_LISTA');
    expect(isStatusByte(0x12)).toBe(true);
    expect(isStatusByte(0x00)).toBe(false);
    expect(isStatusByte(0xff)).toBe(false);
  });
});

describe('the printed ticket', () => {
  it('has the number double size, the queue, the QR by GS ( k with the link, and a cut', () => {
    const decoded = decodeEscPos(renderReceipt(content));
    expect(decoded.numero).toBe('C07');
    const texts = decoded.lines.map((l) => l.text);
    expect(texts).toEqual(expect.arrayContaining(['Sucursal Ñuñoa', 'Caja', '05/12/2026 09:41', '3 personas antes que tú', 'Espera estimada: 12 min']));
    expect(decoded.lines.find((l) => l.text === 'Caja')?.double).toBe(false);
    expect(decoded.qrPayloads).toEqual([content.link]);
    expect(decoded.qrPrinted).toBe(1);
    expect(decoded.cuts).toBe(1);
  });

  it('without Telegram: no QR, still a number and a cut', () => {
    const decoded = decodeEscPos(renderReceipt({ ...content, link: null, codeLine: null }));
    expect(decoded.numero).toBe('C07');
    expect(decoded.qrPayloads).toEqual([]);
    expect(decoded.cuts).toBe(1);
  });
});

describe('printOnce against the fake printer', () => {
  it('asks DLE EOT 1, 2, 4 first, then prints', async () => {
    const printer = await fake('ok');
    const result = await printOnce(printer, renderReceipt(content), 2000);
    expect(result).toEqual({ estado: 'IMPRESA' });
    const [decoded] = await printer.printed(1);
    expect(printer.jobs()[0]!.subarray(0, 9)).toEqual(Buffer.from([0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4]));
    expect(decoded).toMatchObject({ statusQueries: [1, 2, 4], numero: 'C07', qrPayloads: [content.link], qrPrinted: 1, cuts: 1 });
  });

  it('paper out: nothing but the status queries is sent', async () => {
    const printer = await fake('paper-out');
    expect(await printOnce(printer, renderReceipt(content), 2000)).toEqual({ estado: 'SIN_PAPEL' });
    expect(decodeEscPos(printer.bytes())).toMatchObject({ statusQueries: [1, 2, 4], numero: null, cuts: 0, qrPayloads: [] });
  });

  it('a printer that never answers: DESCONECTADA within the timeout', async () => {
    const printer = await fake('silent');
    const started = Date.now();
    expect(await printOnce(printer, renderReceipt(content), 300)).toEqual({ estado: 'DESCONECTADA', motivo: 'SIN_RESPUESTA' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(decodeEscPos(printer.bytes()).cuts).toBe(0);
  });

  it('nothing listening: DESCONECTADA (connection refused)', async () => {
    const printer = await fake('ok');
    const { host, port } = printer;
    await printer.stop();
    printers = [];
    expect(await printOnce({ host, port }, renderReceipt(content), 2000)).toEqual({ estado: 'DESCONECTADA', motivo: 'SIN_CONEXION' });
  });

  it('a peer that answers something other than status bytes is not a ready printer', async () => {
    const server = createServer((socket) => socket.on('data', () => socket.write(Buffer.from([0xff]))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      expect(await printOnce({ host: '127.0.0.1', port: address.port }, renderReceipt(content), 2000)).toEqual({
        estado: 'DESCONECTADA',
        motivo: 'SIN_RESPUESTA',
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
