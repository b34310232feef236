import { isDomainError } from '../errors.js';
import type { Origin } from '../modules/audit/audit.service.js';
import type { FloorService } from '../modules/floor/floor.service.js';
import type { Random } from './random.js';

/*
 * How a simulated advisor behaves, in one place, through the app's FloorService exactly as the
 * bot's /panel or the supervisor API would (SPEC §12): start and end shifts, take planned breaks
 * (asked for while serving, a pause starts when the customer leaves), confirm arrival ("Llegó")
 * and serve for a lognormal time, or call again until a no-show may be marked.
 */

export interface SimAdvisor {
  id: number;
  email: string;
  /** Ticket being served (called or at the desk), if any. */
  serving: number | null;
  /** A break asked for while serving: its minutes, counted from when the customer leaves. */
  pendingBreakMinutes: number | null;
  /** The shift ended while serving: offline once the customer leaves. */
  pendingOffline: boolean;
  onBreak: boolean;
  /** Within a shift now. */
  onShift: boolean;
}

/** Schedules work at a virtual instant (ms): the engine's event queue. */
export type Schedule = (atMs: number, work: () => Promise<void>) => void;

/** Minutes between a call and the customer at the desk. */
export const WALK_MINUTES = { min: 0.1, max: 0.5 } as const;
/** The reason given for a planned break, and for "leaving after this customer". */
export const BREAK_REASON = 'Colación';
export const LEAVING_REASON = 'Otro';

export class AdvisorBehaviour {
  constructor(
    private readonly deps: {
      floor: FloorService;
      schedule: Schedule;
      now: () => number;
      random: Random;
      /** Seconds an advisor waits before calling a missing customer again (RECALL_MIN_INTERVAL_S, at least 45). */
      recallEverySeconds: number;
      /** Called after every action, so assignments it caused are picked up. */
      afterAction: () => Promise<void>;
    },
  ) {}

  private origin(a: SimAdvisor): Origin {
    return { actor: a.email };
  }

  private at(minutes: number, work: () => Promise<void>): void {
    this.deps.schedule(this.deps.now() + minutes * 60_000, work);
  }

  async startShift(a: SimAdvisor): Promise<void> {
    a.onShift = true;
    a.pendingOffline = false;
    if (a.serving === null && !a.onBreak) await this.deps.floor.setStatus(a.id, 'AVAILABLE', null, this.origin(a));
    await this.deps.afterAction();
  }

  async endShift(a: SimAdvisor): Promise<void> {
    a.onShift = false;
    if (a.serving !== null) {
      // No new customer after this one: a pause now, offline when the customer leaves.
      a.pendingOffline = true;
      await this.deps.floor.setStatus(a.id, 'BUSY', LEAVING_REASON, this.origin(a));
      return;
    }
    if (!a.onBreak) await this.deps.floor.setStatus(a.id, 'OFFLINE', 'fin de turno', this.origin(a));
  }

  async startBreak(a: SimAdvisor, minutes: number): Promise<void> {
    if (!a.onShift || a.onBreak) return;
    await this.deps.floor.setStatus(a.id, 'BUSY', BREAK_REASON, this.origin(a));
    if (a.serving !== null) {
      a.pendingBreakMinutes = minutes;
      return;
    }
    this.breakFor(a, minutes);
  }

  private breakFor(a: SimAdvisor, minutes: number): void {
    a.onBreak = true;
    a.pendingBreakMinutes = null;
    this.at(minutes, async () => {
      a.onBreak = false;
      if (a.onShift) await this.deps.floor.setStatus(a.id, 'AVAILABLE', 'fin de pausa', this.origin(a));
      else await this.deps.floor.setStatus(a.id, 'OFFLINE', 'fin de turno', this.origin(a));
      await this.deps.afterAction();
    });
  }

  /** A customer was called to this advisor: they come and are served, or never come. */
  onCalled(a: SimAdvisor, ticketId: number, customer: { noShow: boolean; serviceMinutes: number }): void {
    a.serving = ticketId;
    if (customer.noShow) {
      this.awaitMissing(a, ticketId, 0);
      return;
    }
    this.at(this.deps.random.uniform(WALK_MINUTES.min, WALK_MINUTES.max), async () => {
      await this.deps.floor.arrived(a.id, this.origin(a), ticketId);
      this.at(customer.serviceMinutes, () => this.finish(a, ticketId, 'COMPLETADO'));
    });
  }

  /** Nobody comes: call again until the floor accepts "No se presentó" (NO_SHOW_MIN_CALLS). */
  private awaitMissing(a: SimAdvisor, ticketId: number, tries: number): void {
    this.at(this.deps.recallEverySeconds / 60, async () => {
      try {
        await this.finish(a, ticketId, 'NO_ATENDIDO');
      } catch (error) {
        if (!isDomainError(error) || error.code !== 'TRANSICION_INVALIDA' || tries > 5) throw error;
        await this.deps.floor.recall(a.id, this.origin(a), ticketId);
        this.awaitMissing(a, ticketId, tries + 1);
      }
    });
  }

  private async finish(a: SimAdvisor, ticketId: number, outcome: 'COMPLETADO' | 'NO_ATENDIDO'): Promise<void> {
    await this.deps.floor.finishCurrent(a.id, outcome, this.origin(a), ticketId);
    a.serving = null;
    if (a.pendingOffline) {
      a.pendingOffline = false;
      await this.deps.floor.setStatus(a.id, 'OFFLINE', 'fin de turno', this.origin(a));
    } else if (a.pendingBreakMinutes !== null) {
      this.breakFor(a, a.pendingBreakMinutes);
    }
    // A free advisor may have been given the next customer at once.
    await this.deps.afterAction();
  }
}
