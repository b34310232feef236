import type { AdvisorService } from '../modules/advisors/advisor.service.js';
import type { Origin } from '../modules/audit/audit.service.js';
import type { Random } from './random.js';

/*
 * How a simulated advisor behaves, in one place: start and end shifts, take planned breaks,
 * serve a called customer for a lognormal time or mark a no-show. Everything goes through the
 * app's AdvisorService, exactly as the bot's /panel or the supervisor API would; when the floor
 * rules change (recalls before a no-show, "Llegó", pauses with reasons), they change here.
 */

export interface SimAdvisor {
  id: number;
  email: string;
  /** Ticket being served, if any. */
  serving: number | null;
  /** A break or the end of the shift came while serving: taken after the current customer. */
  pendingBreakMinutes: number | null;
  pendingOffline: boolean;
  onBreak: boolean;
  /** Within a shift now. */
  onShift: boolean;
}

/** Schedules work at a virtual instant (ms): the engine's event queue. */
export type Schedule = (atMs: number, work: () => Promise<void>) => void;

/** Minutes a no-show holds the advisor: the call, waiting, then "No se presentó". */
export const NO_SHOW_MINUTES = { min: 1.5, max: 3 } as const;
/** The reason given for a planned break. */
export const BREAK_REASON = 'Colación';

export class AdvisorBehaviour {
  constructor(
    private readonly deps: {
      advisors: AdvisorService;
      schedule: Schedule;
      now: () => number;
      random: Random;
      /** Called after every action, so assignments it caused are picked up. */
      afterAction: () => Promise<void>;
    },
  ) {}

  private origin(a: SimAdvisor): Origin {
    return { actor: a.email };
  }

  async startShift(a: SimAdvisor): Promise<void> {
    a.onShift = true;
    a.pendingOffline = false;
    if (a.serving === null && !a.onBreak) await this.deps.advisors.setStatus(a.id, 'AVAILABLE', 'inicio de turno', this.origin(a));
    await this.deps.afterAction();
  }

  async endShift(a: SimAdvisor): Promise<void> {
    a.onShift = false;
    if (a.serving !== null) {
      a.pendingOffline = true;
      return;
    }
    await this.deps.advisors.setStatus(a.id, 'OFFLINE', 'fin de turno', this.origin(a));
  }

  async startBreak(a: SimAdvisor, minutes: number): Promise<void> {
    if (!a.onShift) return;
    if (a.serving !== null) {
      a.pendingBreakMinutes = minutes;
      return;
    }
    await this.pause(a, minutes);
  }

  private async pause(a: SimAdvisor, minutes: number): Promise<void> {
    a.onBreak = true;
    a.pendingBreakMinutes = null;
    // Already BUSY when coming straight from a customer ("finish and pause"): a no-op then.
    await this.deps.advisors.setStatus(a.id, 'BUSY', BREAK_REASON, this.origin(a));
    this.deps.schedule(this.deps.now() + minutes * 60_000, async () => {
      a.onBreak = false;
      if (a.onShift) await this.deps.advisors.setStatus(a.id, 'AVAILABLE', 'fin de pausa', this.origin(a));
      else await this.deps.advisors.setStatus(a.id, 'OFFLINE', 'fin de turno', this.origin(a));
      await this.deps.afterAction();
    });
  }

  /** A customer was called to this advisor: serve them (or wait for a no-show), then finish. */
  onCalled(a: SimAdvisor, ticketId: number, customer: { noShow: boolean; serviceMinutes: number }): void {
    a.serving = ticketId;
    const minutes = customer.noShow
      ? this.deps.random.uniform(NO_SHOW_MINUTES.min, NO_SHOW_MINUTES.max)
      : customer.serviceMinutes;
    this.deps.schedule(this.deps.now() + minutes * 60_000, async () => {
      a.serving = null;
      const outcome = customer.noShow ? 'NO_ATENDIDO' : 'COMPLETADO';
      if (a.pendingOffline) {
        a.pendingOffline = false;
        await this.deps.advisors.finishCurrent(a.id, outcome, this.origin(a), 'OFFLINE');
      } else if (a.pendingBreakMinutes !== null) {
        await this.deps.advisors.finishCurrent(a.id, outcome, this.origin(a), 'BUSY');
        await this.pause(a, a.pendingBreakMinutes);
      } else {
        await this.deps.advisors.finishCurrent(a.id, outcome, this.origin(a));
      }
      await this.deps.afterAction();
    });
  }
}
