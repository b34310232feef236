import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One app instance in its own OS process, as production runs it: `npm start`'s entry. */
export interface AppProcess {
  url: string;
  pid: number;
  /** GET /metrics (open on loopback without METRICS_API_KEY) as text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx src/main.ts` with `env` on a free loopback port and waits for
 * /api/health. Its log (pino JSON, `LOG_LEVEL` from env, default warn) goes to `logFile`.
 */
export async function startAppProcess(env: Record<string, string>, logFile: string): Promise<AppProcess> {
  const port = await freePort();
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app instance exited with code ${child.exitCode} (log: ${logFile})`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`app instance did not answer /api/health within 60 s (log: ${logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    pid: child.pid ?? 0,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(kill);
          log.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** One series' value in Prometheus text (exact name and label set), or 0 when absent. */
export function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
