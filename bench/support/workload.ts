import { computeCheckDigit } from '../../src/domain/rut.js';
import { QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';

/** Sent by the load generator and recorded by the raw baseline, so both audit rows are alike. */
export const BENCH_USER_AGENT = 'ticketero-bench';
export const BENCH_IP = '127.0.0.1';

/**
 * RUT bodies run from 10,000,000 to 99,999,999 (eight digits). Each run takes a block of its
 * own, so no two runs ever ask for the same RUT and the one-active-ticket rule never refuses one.
 */
export const RUT_BLOCK = 10_000_000;
const RUT_BASE = 10_000_000;
const RUT_BLOCKS = 9;

export function rutBlock(block: number): number {
  if (!Number.isInteger(block) || block < 0 || block >= RUT_BLOCKS) {
    throw new RangeError(`RUT block ${block} out of range (0-${RUT_BLOCKS - 1})`);
  }
  return RUT_BASE + block * RUT_BLOCK;
}

export function rutFor(body: number): string {
  const digits = String(body);
  return `${digits}-${computeCheckDigit(digits)}`;
}

/** What one run sends: which RUTs and which branches; plain data, so it can cross to a worker. */
export interface Workload {
  /** First RUT body of the run's block (see `rutBlock`). */
  firstRut: number;
  branches: readonly string[];
}

export interface TicketRequest {
  nationalId: string;
  queueType: QueueType;
  branchOffice: string;
  telefono?: string;
}

/**
 * The n-th request of a run: a fresh RUT; the four queues in turn; the branches in turn; and
 * every other round a phone number, so half the tickets are reachable and get their three
 * `mensaje` rows. Deterministic, so the app and the raw baseline do the same work.
 */
export function ticketRequest(workload: Workload, n: number): TicketRequest {
  const queueType = QUEUE_TYPES[n % QUEUE_TYPES.length]!;
  const round = Math.floor(n / QUEUE_TYPES.length);
  const branchOffice = workload.branches[round % workload.branches.length]!;
  const withPhone = Math.floor(round / workload.branches.length) % 2 === 0;
  const request: TicketRequest = {
    nationalId: rutFor(workload.firstRut + (n % RUT_BLOCK)),
    queueType,
    branchOffice,
  };
  if (withPhone) request.telefono = `+569${String(n % 100_000_000).padStart(8, '0')}`;
  return request;
}
