import { EventEmitter } from 'node:events';
import type { QueueType } from './domain/queue-types.js';

/**
 * In-process wake-ups after a transaction commits. They only make things faster: every
 * reaction (assignment, message dispatch) is also driven by the periodic jobs, so a lost
 * event or another instance's change is caught on the next sweep.
 */
export interface DomainEvents {
  'ticket.created': {
    ticketId: number;
    branchOffice: string;
    queueType: QueueType;
    /** Someone in the branch was AVAILABLE when the ticket was numbered: an immediate assignment may succeed. */
    advisorFree: boolean;
  };
  'ticket.cancelled': { ticketId: number; branchOffice: string; /** For the metrics. */ queueType?: QueueType };
  'ticket.assigned': {
    ticketId: number;
    numero: string;
    queueType: QueueType;
    branchOffice: string;
    advisorId: number;
    advisorName: string;
    moduleNumber: number;
    /** Creation to this call (the realized wait, for the metrics). */
    waitedSeconds?: number | undefined;
  };
  'ticket.finished': {
    ticketId: number;
    branchOffice: string;
    advisorId: number;
    /** For the metrics. */
    queueType?: QueueType;
    outcome?: string;
  };
  'advisor.available': { advisorId: number; branchOffice: string };
  'messages.due': { ticketId: number };
  /** A chat was linked to a customer (RUT, phone or deep link): its waiting messages may go now. */
  'chat.linked': { chatId: number };
  /** The service floor (SPEC §12): the screen flashes a number again; an advisor's customer walked out. */
  'ticket.recalled': { ticketId: number; branchOffice: string; numero: string; callNumber: number };
  'advisor.customer-left': { advisorId: number; branchOffice: string; numero: string };
}

export type EventName = keyof DomainEvents;
export const EVENT_NAMES: readonly EventName[] = [
  'ticket.created',
  'ticket.cancelled',
  'ticket.assigned',
  'ticket.finished',
  'advisor.available',
  'messages.due',
  'chat.linked',
  'ticket.recalled',
  'advisor.customer-left',
];

/** An event as it crosses a thread boundary (a Bree worker tells the main thread). */
export interface EventEnvelope<K extends EventName = EventName> {
  type: 'domain-event';
  event: K;
  payload: DomainEvents[K];
}

export function isEventEnvelope(value: unknown): value is EventEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'domain-event' &&
    EVENT_NAMES.includes((value as { event: EventName }).event)
  );
}

export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  emit<K extends keyof DomainEvents>(event: K, payload: DomainEvents[K]): void {
    this.emitter.emit(event, payload);
  }

  on<K extends keyof DomainEvents>(event: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Every event, with its name: how a worker forwards what happened to the main thread. */
  onAny(listener: (envelope: EventEnvelope) => void): () => void {
    const offs = EVENT_NAMES.map((event) =>
      this.on(event, (payload) => listener({ type: 'domain-event', event, payload } as EventEnvelope)),
    );
    return () => offs.forEach((off) => off());
  }

  dispatch(envelope: EventEnvelope): void {
    this.emitter.emit(envelope.event, envelope.payload);
  }
}
