/**
 * The part of autocannon 8's programmatic API the benches use (the package ships no types,
 * and package.json is not ours to add @types to).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    interface RequestSpec extends Request {
      /** Called before each request is sent; returns the request to send (a falsy value restarts the sequence). */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null | undefined | false;
      onResponse?: (
        status: number,
        body: string,
        context: Record<string, unknown>,
        headers: Record<string, string | string[]>,
      ) => void;
    }

    interface Options {
      url: string;
      title?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      amount?: number;
      /** Requests per second over all connections. */
      overallRate?: number;
      connectionRate?: number;
      /** Seconds before a request counts as a timeout. */
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      requests?: RequestSpec[];
      excludeErrorStats?: boolean;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p2_5: number;
      p50: number;
      p75: number;
      p90: number;
      p97_5: number;
      p99: number;
      p99_9: number;
    }

    interface Result {
      title?: string;
      url: string;
      connections: number;
      /** Latencies in milliseconds. */
      latency: Histogram;
      /** Responses per second. */
      requests: Histogram;
      throughput: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      statusCodeStats: Record<string, { count: number }>;
      start: Date;
      finish: Date;
    }

    /**
     * What a run resolves to inside a worker thread: not aggregated, histograms still encoded.
     * `aggregateResult([raw], options)` turns it into a `Result`.
     */
    interface RawResult {
      latencies: string;
      requests: string;
      throughput: string;
      totalCompletedRequests: number;
      duration: number;
      errors: number;
      timeouts: number;
      statusCodeStats: Record<string, { count: number }>;
    }

    /** Resolves to a `Result` on the main thread, to a `RawResult` in a worker thread. */
    interface Instance extends EventEmitter, PromiseLike<Result | RawResult> {
      stop(): void;
    }

    function aggregateResult(results: RawResult[], options: Options): Result;
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;

  export = autocannon;
}
