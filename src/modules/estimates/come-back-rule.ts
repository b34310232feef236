/*
 * The "avísame" notice's rule (SPEC §13, issue 22): the notice goes when the COME_BACK_QUANTILE of the
 * customer's call time, by the branch's Monte-Carlo (monte-carlo.ts), falls to the minutes they asked
 * for. The quantile was chosen on the simulator's tuning scenarios only (scenarios/*.json, never
 * scenarios/holdout/), see docs/wait-time.md.
 */

/** The quantile of the call time that must have reached the lead for the notice to go. */
export const COME_BACK_QUANTILE = 0.15;
/** Draws of the branch's future per queue-job tick (for all its customers who asked at once). */
export const COME_BACK_SAMPLES = 200;
/** Only customers whose expected call is at most this many minutes beyond their lead are drawn for. */
export const COME_BACK_WINDOW_MINUTES = 60;
