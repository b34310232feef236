import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadJob, LoadMessage, LoadResult } from './load.js';
import { BENCH_USER_AGENT, ticketRequest } from './workload.js';

/** Inside the worker: one autocannon run, each request a distinct RUT (see `ticketRequest`). */
async function run(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const failures: string[] = [];
  const options: autocannon.Options = {
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    timeout: 10,
    method: 'POST',
    headers: {
      authorization: `Bearer ${job.apiKey}`,
      'content-type': 'application/json',
      'user-agent': BENCH_USER_AGENT,
    },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: JSON.stringify(ticketRequest(job.workload, next++)) }),
        onResponse: (status, body) => {
          if (status !== 201 && failures.length < 3) failures.push(`${status} ${body.slice(0, 200)}`);
        },
      },
    ],
  };
  if (job.overallRate !== undefined) options.overallRate = job.overallRate;

  const outcome = await autocannon(options);
  // Off the main thread autocannon leaves the aggregation to its caller.
  const result = 'latency' in outcome ? outcome : autocannon.aggregateResult([outcome], options);
  const byStatus: Record<string, number> = {};
  let responses = 0;
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
    byStatus[status] = Number(count);
    responses += Number(count);
  }
  const { latency } = result;
  return {
    seconds: result.duration,
    responses,
    created: byStatus['201'] ?? 0,
    byStatus,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    failures,
  };
}

const port = parentPort;
if (!port) throw new Error('load-worker.ts runs only as a worker thread (see runLoad)');
let message: LoadMessage;
try {
  message = { ok: true, result: await run(workerData as LoadJob) };
} catch (error) {
  message = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
port.postMessage(message);
