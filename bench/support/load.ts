import { Worker } from 'node:worker_threads';
import type { Workload } from './workload.js';

/** One autocannon run against `POST /api/tickets`; plain data, sent to the load worker. */
export interface LoadJob {
  /** Full URL of the endpoint, on 127.0.0.1. */
  url: string;
  apiKey: string;
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset means as fast as the app answers. */
  overallRate?: number;
  workload: Workload;
}

export interface LoadResult {
  /** Seconds the run lasted. */
  seconds: number;
  responses: number;
  /** 201 responses: tickets actually given. */
  created: number;
  /** Responses by status code, e.g. { "201": 1000, "409": 2 }. */
  byStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Milliseconds (autocannon's histogram: whole milliseconds; corrected for coordinated omission when rate-limited). */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** The first few non-201 answers, to tell what went wrong. */
  failures: string[];
}

export type LoadMessage = { ok: true; result: LoadResult } | { ok: false; error: string };

/**
 * Runs autocannon in a worker thread, so the load generator does not share the event loop of
 * the app it measures (the app runs in this process, as `npm start` runs it).
 */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  // tsx does not hook worker threads by itself in Node 20: the worker imports the TypeScript through its API.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./load-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;

  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: job });
    let settled = false;
    const guard = setTimeout(
      () => {
        settled = true;
        void worker.terminate();
        reject(new Error(`load worker did not finish within ${job.seconds + 60} s`));
      },
      (job.seconds + 60) * 1000,
    );
    worker.once('message', (message: LoadMessage) => {
      settled = true;
      clearTimeout(guard);
      void worker.terminate();
      if (message.ok) resolve(message.result);
      else reject(new Error(`load worker: ${message.error}`));
    });
    worker.once('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      reject(error);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
}
