import { Socket } from 'node:net';
import { DLE_EOT, isStatusByte, readiness, type StatusBytes } from './escpos-status.js';

/** Where a kiosk device's ESC/POS printer listens (SPEC §19: `{host, port}`, 9100 by default). */
export interface PrinterTarget {
  host: string;
  port: number;
}

/** What became of one ticket's paper. */
export type PrintResult =
  | { estado: 'IMPRESA' }
  | { estado: 'SIN_PAPEL' }
  | { estado: 'DESCONECTADA'; motivo: 'SIN_CONEXION' | 'SIN_RESPUESTA' | 'NO_LISTA' | 'ERROR_DE_ENVIO' };

/**
 * One ticket to one printer, in one TCP connection: connect, ask `DLE EOT` 1, 2 and 4, and only
 * when the printer is ready send the ticket's bytes. Everything — connecting, each answer, the
 * write — happens within `timeoutMs` in total, so a printer that is off, unplugged or silent costs
 * the kiosk at most that. Never throws: a failure is a result.
 */
export function printOnce(target: PrinterTarget, bytes: Buffer, timeoutMs: number): Promise<PrintResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    let connected = false;
    let received = Buffer.alloc(0);
    let waiting: ((byte: number) => void) | null = null;

    const finish = (result: PrintResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      if (result.estado === 'IMPRESA') socket.end();
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ estado: 'DESCONECTADA', motivo: connected ? 'SIN_RESPUESTA' : 'SIN_CONEXION' }),
      timeoutMs,
    );

    const nextByte = (): Promise<number> =>
      new Promise((resolveByte) => {
        const take = (): boolean => {
          if (received.length === 0) return false;
          const byte = received[0]!;
          received = received.subarray(1);
          resolveByte(byte);
          return true;
        };
        if (!take()) waiting = () => void take();
      });
    const ask = async (n: 1 | 2 | 4): Promise<number> => {
      socket.write(DLE_EOT(n));
      return nextByte();
    };

    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const resume = waiting;
      waiting = null;
      resume?.(0);
    });
    socket.on('error', () => finish({ estado: 'DESCONECTADA', motivo: connected ? 'ERROR_DE_ENVIO' : 'SIN_CONEXION' }));
    socket.on('close', () => finish({ estado: 'DESCONECTADA', motivo: connected ? 'SIN_RESPUESTA' : 'SIN_CONEXION' }));
    socket.setNoDelay(true);
    socket.connect(target.port, target.host, () => {
      connected = true;
      void (async () => {
        const status: StatusBytes = { printer: await ask(1), offlineCause: await ask(2), paper: await ask(4) };
        if (settled) return;
        if (![status.printer, status.offlineCause, status.paper].every(isStatusByte)) {
          return finish({ estado: 'DESCONECTADA', motivo: 'SIN_RESPUESTA' });
        }
        const ready = readiness(status);
        if (ready === 'SIN_PAPEL') return finish({ estado: 'SIN_PAPEL' });
        if (ready === 'NO_LISTA') return finish({ estado: 'DESCONECTADA', motivo: 'NO_LISTA' });
        socket.write(bytes, (error) => finish(error ? { estado: 'DESCONECTADA', motivo: 'ERROR_DE_ENVIO' } : { estado: 'IMPRESA' }));
      })();
    });
  });
}
