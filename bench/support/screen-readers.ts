/**
 * Waiting-room screens in a process of their own (forked by the national bench), so that reading
 * 2,000 event streams does not share an event loop with the load generator whose latencies it
 * measures. Parent → child: `open` (the stream URLs), `mark`, `report`, `close`; child → parent:
 * `opened`, `marked`, `report` with each "called" event's delay (arrival − the call's calledAt).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openScreen, type Screen } from '../../test/support/sse.js';

type ToChild = { type: 'open'; urls: string[] } | { type: 'mark' } | { type: 'report' } | { type: 'close' };
type ToParent =
  | { type: 'opened'; ms: number }
  | { type: 'marked' }
  | { type: 'report'; calledDelaysMs: number[]; snapshots: number }
  | { type: 'error'; message: string };

export interface ScreenReaders {
  /** Starts every stream and resolves once each has its first snapshot. */
  open(urls: string[]): Promise<number>;
  /** From now on, "called" events count. */
  mark(): Promise<void>;
  /** The delays of the "called" events since the mark, and the snapshots received since it. */
  report(): Promise<{ calledDelaysMs: number[]; snapshots: number }>;
  close(): Promise<void>;
}

/** Forks this file as the screens' process. */
export function startScreenReaders(): ScreenReaders {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = async <T extends ToParent['type']>(message: ToChild, answer: T): Promise<Extract<ToParent, { type: T }>> => {
    child.send(message);
    for (;;) {
      const [reply] = (await once(child, 'message')) as [ToParent];
      if (reply.type === 'error') throw new Error(`screens process: ${reply.message}`);
      if (reply.type === answer) return reply as Extract<ToParent, { type: T }>;
    }
  };
  return {
    open: async (urls) => (await ask({ type: 'open', urls }, 'opened')).ms,
    mark: async () => void (await ask({ type: 'mark' }, 'marked')),
    report: async () => {
      const { calledDelaysMs, snapshots } = await ask({ type: 'report' }, 'report');
      return { calledDelaysMs, snapshots };
    },
    async close() {
      if (child.exitCode !== null) return;
      child.send({ type: 'close' } satisfies ToChild);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(killer);
    },
  };
}

async function runChild(): Promise<void> {
  const controller = new AbortController();
  setMaxListeners(10_000, controller.signal);
  const screens: Screen[] = [];
  let marks = new Map<Screen, { called: number; snapshots: number }>();
  const send = (message: ToParent): void => void process.send?.(message);
  const count = (screen: Screen, event: string): number => screen.events.filter((e) => e.event === event).length;

  process.on('message', (message: ToChild) => {
    void (async () => {
      if (message.type === 'open') {
        const started = performance.now();
        for (let i = 0; i < message.urls.length; i += 100) {
          screens.push(...(await Promise.all(message.urls.slice(i, i + 100).map((url) => openScreen(url, controller.signal)))));
        }
        while (screens.some((s) => !s.events.some((e) => e.event === 'snapshot'))) await new Promise((r) => setTimeout(r, 50));
        send({ type: 'opened', ms: performance.now() - started });
      } else if (message.type === 'mark') {
        marks = new Map(screens.map((s) => [s, { called: count(s, 'called'), snapshots: count(s, 'snapshot') }]));
        send({ type: 'marked' });
      } else if (message.type === 'report') {
        const calledDelaysMs: number[] = [];
        let snapshots = 0;
        for (const screen of screens) {
          const mark = marks.get(screen) ?? { called: 0, snapshots: 0 };
          for (const e of screen.events.filter((x) => x.event === 'called').slice(mark.called)) {
            calledDelaysMs.push(e.at - Date.parse((e.data as { calledAt: string }).calledAt));
          }
          snapshots += count(screen, 'snapshot') - mark.snapshots;
        }
        send({ type: 'report', calledDelaysMs, snapshots });
      } else {
        controller.abort();
        process.disconnect?.();
        process.exit(0);
      }
    })().catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
  });
}

if (process.argv.includes('--child')) await runChild();
