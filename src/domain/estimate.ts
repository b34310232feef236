import { QUEUES, type QueueType } from './queue-types.js';

/**
 * Estimated wait in minutes: ceil(position × queue average ÷ advisors online for the queue).
 * With no advisor online the division is by one, so the estimate is still meaningful.
 */
export function estimateWaitMinutes(position: number, queueType: QueueType, advisorsOnline: number): number {
  if (position <= 0) return 0;
  return Math.ceil((position * QUEUES[queueType].averageMinutes) / Math.max(1, advisorsOnline));
}

/** A waiting ticket at or under the threshold is told its turn is near. */
export function isProximo(position: number, threshold: number): boolean {
  return position >= 1 && position <= threshold;
}
