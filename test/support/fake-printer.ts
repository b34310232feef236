import { createServer, type Server, type Socket } from 'node:net';
import { PAPER_OUT_STATUS, READY_STATUS, type StatusBytes } from '../../src/modules/printing/escpos-status.js';

/**
 * A fake ESC/POS printer on loopback (SPEC §19's tests): it records every byte it is sent and
 * answers `DLE EOT n` real-time status queries with the status it is set to.
 * - `ok`: ready; `paper-out`: out of paper;
 * - `silent`: accepts connections and never answers (a hung printer);
 * - `stop()` closes it: nothing listens on its port any more.
 */
export type FakePrinterMode = 'ok' | 'paper-out' | 'silent';

export interface FakePrinter {
  host: string;
  port: number;
  mode: FakePrinterMode;
  /** Every byte received, status queries included, over all connections. */
  bytes(): Buffer;
  /** The bytes of each connection, in order. */
  jobs(): Buffer[];
  clear(): void;
  connections(): number;
  /** Waits (polling, up to 5 s) until `count` tickets (connections whose bytes hold a cut) have arrived; returns them decoded. */
  printed(count?: number): Promise<DecodedReceipt[]>;
  stop(): Promise<void>;
}

export async function startFakePrinter(mode: FakePrinterMode = 'ok'): Promise<FakePrinter> {
  const jobs: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const state = { mode };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    connections++;
    const index = jobs.push(Buffer.alloc(0)) - 1;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let scanned = 0;
    socket.on('data', (chunk: Buffer) => {
      const all = Buffer.concat([jobs[index]!, chunk]);
      jobs[index] = all;
      if (state.mode === 'silent') return;
      const status: StatusBytes = state.mode === 'paper-out' ? PAPER_OUT_STATUS : READY_STATUS;
      // Answer each DLE EOT n (one may straddle two chunks: the scan resumes where it stopped).
      let i = scanned;
      while (i + 2 < all.length) {
        if (all[i] === 0x10 && all[i + 1] === 0x04) {
          const n = all[i + 2];
          const answer = n === 1 ? status.printer : n === 2 ? status.offlineCause : n === 4 ? status.paper : null;
          if (answer !== null) socket.write(Buffer.from([answer]));
          i += 3;
        } else i++;
      }
      scanned = i;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake printer: no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    get mode() {
      return state.mode;
    },
    set mode(value: FakePrinterMode) {
      state.mode = value;
    },
    bytes: () => Buffer.concat(jobs),
    jobs: () => [...jobs],
    clear: () => {
      jobs.length = 0;
    },
    connections: () => connections,
    printed: async (count = 1) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const done = jobs.map(decodeEscPos).filter((job) => job.cuts > 0);
        if (done.length >= count) return done;
        if (Date.now() > deadline) throw new Error(`fake printer: ${done.length} of ${count} tickets printed`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What the decoder reads out of a printed ticket's bytes. */
export interface DecodedReceipt {
  /** The text lines, in order, with their size (ESC ! bits 4–5: double height and width). */
  lines: Array<{ text: string; double: boolean }>;
  /** The double-size line: the number. */
  numero: string | null;
  /** The data stored by `GS ( k` cn=49 fn=80 (QR model 2's "store the data"). */
  qrPayloads: string[];
  /** `GS ( k` fn=81: print the stored symbol. */
  qrPrinted: number;
  /** `GS V` cuts. */
  cuts: number;
  /** `DLE EOT n` status queries, by n. */
  statusQueries: number[];
}

/** CP850 for the bytes above 0x7f a Spanish ticket uses (á é í ó ú ñ Ñ ü ¿ ¡ and the rest as '?'). */
const CP850: Record<number, string> = {
  0xa0: 'á', 0x82: 'é', 0xa1: 'í', 0xa2: 'ó', 0xa3: 'ú', 0xa4: 'ñ', 0xa5: 'Ñ', 0x81: 'ü', 0xa8: '¿', 0xad: '¡',
  0xb5: 'Á', 0x90: 'É', 0xd6: 'Í', 0xe0: 'Ó', 0xe9: 'Ú',
};

/**
 * Enough of ESC/POS to check a ticket: text (CP850), `ESC !` sizes, `GS ( k` QR functions,
 * `GS V` cuts, `DLE EOT` queries; other commands are skipped by their known lengths.
 */
export function decodeEscPos(bytes: Buffer): DecodedReceipt {
  const out: DecodedReceipt = { lines: [], numero: null, qrPayloads: [], qrPrinted: 0, cuts: 0, statusQueries: [] };
  let text = '';
  let double = false;
  let lineDouble = false;
  const endLine = (): void => {
    out.lines.push({ text, double: lineDouble });
    text = '';
    lineDouble = double;
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      endLine();
      i++;
    } else if (b === 0x10 && bytes[i + 1] === 0x04) {
      out.statusQueries.push(bytes[i + 2]!);
      i += 3;
    } else if (b === 0x1b) {
      const c = bytes[i + 1];
      if (c === 0x40) i += 2; // ESC @
      else if (c === 0x21) {
        // ESC ! n
        double = (bytes[i + 2]! & 0x30) === 0x30;
        if (text === '') lineDouble = double;
        i += 3;
      } else if (c === 0x64 || c === 0x4a) {
        // ESC d n / ESC J n: feed
        i += 3;
      } else i += 3; // ESC a n, ESC E n, ESC t n, ESC - n, ESC M n … (all one parameter)
    } else if (b === 0x1d) {
      const c = bytes[i + 1];
      if (c === 0x28 && bytes[i + 2] === 0x6b) {
        // GS ( k pL pH cn fn [data]
        const length = bytes[i + 3]! + bytes[i + 4]! * 256;
        const cn = bytes[i + 5];
        const fn = bytes[i + 6];
        if (cn === 0x31 && fn === 0x50) out.qrPayloads.push(bytes.subarray(i + 8, i + 5 + length).toString('latin1'));
        if (cn === 0x31 && fn === 0x51) out.qrPrinted++;
        i += 5 + length;
      } else if (c === 0x56) {
        // GS V m [n]
        out.cuts++;
        i += bytes[i + 2]! >= 0x41 ? 4 : 3;
      } else if (c === 0x21 || c === 0x42 || c === 0x68 || c === 0x77 || c === 0x48 || c === 0x66) i += 3;
      else i += 3;
    } else if (b >= 0x20) {
      text += b < 0x80 ? String.fromCharCode(b) : (CP850[b] ?? '?');
      i++;
    } else i++;
  }
  if (text !== '') endLine();
  out.numero = out.lines.find((l) => l.double && l.text.trim() !== '')?.text.trim() ?? null;
  return out;
}
