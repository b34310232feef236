import { EventEmitter } from 'node:events';
import type { QueueType } from './domain/queue-types.js';

/**
 * In-process wake-ups after a transaction commits. They only make things faster: every
 * reaction (assignment, message dispatch) is also driven by the periodic jobs, so a lost
 * event or another instance's change is caught on the next sweep.
 */
export interface DomainEvents {
  'ticket.created': { ticketId: number; branchOffice: string; queueType: QueueType };
  'ticket.cancelled': { ticketId: number; branchOffice: string };
  'messages.due': { ticketId: number };
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
}
