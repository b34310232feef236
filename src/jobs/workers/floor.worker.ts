// The service floor's clock (SPEC §12), every half minute and at start: the end of the day (earlier
// days' tickets closed, today's waiting ones once the branch has closed) and automatic no-shows.
import { AdvisorService } from '../../modules/advisors/advisor.service.js';
import { FloorService } from '../../modules/floor/floor.service.js';
import { AssignmentService } from '../../modules/queue/assignment.service.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('floor', ({ db, clock, events, settings, personalData }) => {
  const assignment = new AssignmentService({ db, clock, events, preferentialEvery: settings.floor.preferentialEvery });
  const floor = new FloorService({
    db,
    clock,
    events,
    assignment,
    advisors: new AdvisorService({ db, clock, personalData }),
    settings: settings.floor,
    proximoThreshold: settings.proximoThreshold,
  });
  return async () => {
    const endOfDay = await floor.endOfDay();
    const autoNoShows = await floor.autoNoShow();
    return { ...endOfDay, autoNoShows };
  };
});
