import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The app in its own OS process, as `npm start` runs it: its event loop shared with nobody. */
const START_DEADLINE_MS = 180_000;

export interface AppProcess {
  url: string;
  pid: number;
  /** GET /metrics as text (open on loopback without METRICS_API_KEY). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface AppProcessOptions {
  /** Told once the process answers (its pid and URL). */
  log?: (line: string) => void;
  /** Where the process's own log (pino JSON) goes; otherwise only its last lines are kept, for errors. */
  logFile?: string;
}

/**
 * Starts `node --import tsx src/main.ts` on 127.0.0.1 with `env` on top of a clean production
 * environment (jobs on, Telegram off, LOG_LEVEL warn) and waits until /api/health answers 200.
 * BENCH_APP_NODE_ARGS adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export async function startAppProcess(env: Record<string, string>, options: AppProcessOptions = {}): Promise<AppProcess> {
  const port = await freePort();
  const extra = (process.env.BENCH_APP_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...extra, '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const file = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : null;
  if (file) {
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;

  // tsx compiles the app at start: three instances starting together on a loaded 2-core machine
  // took more than 60 s (a national run at load ~10).
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app process exited with ${child.exitCode}:\n${tail.join('\n')}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app process did not answer /api/health within ${START_DEADLINE_MS / 1000} s:\n${tail.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  options.log?.(`app process ${child.pid} on ${url}`);

  return {
    url,
    pid: child.pid!,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
      file?.end();
    },
  };
}

/** One series' value in Prometheus text (exact name and label set), or 0 when absent. */
export function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
