// Queue job (SPEC §8): positions, estimates, PROXIMO, message planning and assignment, every period.
import { AssignmentService } from '../../modules/queue/assignment.service.js';
import { QueueService } from '../../modules/queue/queue.service.js';
import { BranchZones } from '../../modules/branches/branch-zones.js';
import { WaitEstimator } from '../../modules/estimates/wait-estimator.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('queue', ({ db, clock, events, settings }) => {
  const preferentialEvery = settings.floor.preferentialEvery;
  const assignment = new AssignmentService({ db, clock, events, preferentialEvery });
  const estimator =
    settings.waitEstimator === 'formula'
      ? undefined
      : new WaitEstimator({ clock, zones: new BranchZones({ fallback: settings.branchTimeZone }), preferentialEvery });
  const queue = new QueueService({
    db,
    clock,
    events,
    assignment,
    proximoThreshold: settings.proximoThreshold,
    preferentialEvery,
    estimator,
  });
  return async () => {
    const result = await queue.tick();
    return {
      updated: result.updated,
      becameProximo: result.becameProximo.length,
      rescheduled: result.rescheduled,
      comeBackNotified: result.comeBackNotified.length,
      assigned: result.assignments.length,
    };
  };
});
