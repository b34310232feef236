export const QUEUE_TYPES = ['CAJA', 'PERSONAL_BANKER', 'EMPRESAS', 'GERENCIA'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

export interface QueueDefinition {
  readonly prefix: string;
  readonly averageMinutes: number;
  /** Higher is served first. */
  readonly priority: number;
  readonly label: string;
}

export const QUEUES: Readonly<Record<QueueType, QueueDefinition>> = {
  CAJA: { prefix: 'C', averageMinutes: 5, priority: 1, label: 'Caja' },
  PERSONAL_BANKER: { prefix: 'P', averageMinutes: 15, priority: 2, label: 'Personal Banker' },
  EMPRESAS: { prefix: 'E', averageMinutes: 20, priority: 3, label: 'Empresas' },
  GERENCIA: { prefix: 'G', averageMinutes: 30, priority: 4, label: 'Gerencia' },
};

export function isQueueType(value: unknown): value is QueueType {
  return typeof value === 'string' && (QUEUE_TYPES as readonly string[]).includes(value);
}

/** Queue types from highest to lowest priority: the order in which waiting tickets are served. */
export const QUEUES_BY_PRIORITY: readonly QueueType[] = [...QUEUE_TYPES].sort(
  (a, b) => QUEUES[b].priority - QUEUES[a].priority,
);
