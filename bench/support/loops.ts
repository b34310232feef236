import { createHistogram } from 'node:perf_hooks';

export interface LoopsOptions {
  concurrency: number;
  seconds: number;
  /**
   * One unit of work; `n` counts up from 0 over all loops, so each call can use fresh data;
   * `loop` (0 to concurrency - 1) tells which loop calls it.
   */
  task: (n: number, loop: number) => Promise<void>;
  /** Checked before each call: once it is true every loop stops early (e.g. nothing left to do). */
  done?: () => boolean;
}

export interface LoopsResult {
  seconds: number;
  /** Tasks that finished without error before the deadline. */
  completed: number;
  failed: number;
  /** Milliseconds, over the completed tasks. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  failures: string[];
}

/**
 * `concurrency` loops, each running `task` back to back until `seconds` have passed. Like
 * autocannon, only what finishes inside the window counts; work in flight at the deadline is
 * awaited (so nothing is left running) but not counted.
 */
export async function runLoops({ concurrency, seconds, task, done }: LoopsOptions): Promise<LoopsResult> {
  const histogram = createHistogram(); // microseconds
  const failures: string[] = [];
  let next = 0;
  let completed = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const loop = async (index: number): Promise<void> => {
    while (performance.now() < deadline && !done?.()) {
      const begun = performance.now();
      try {
        await task(next++, index);
        const ended = performance.now();
        if (ended <= deadline) {
          completed++;
          histogram.record(Math.max(1, Math.round((ended - begun) * 1000)));
        }
      } catch (error) {
        failed++;
        if (failures.length < 3) failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));

  const ms = (us: number): number => us / 1000;
  return {
    seconds,
    completed,
    failed,
    latency: {
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean),
    },
    failures,
  };
}
