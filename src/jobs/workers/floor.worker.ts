// The service floor's clock (SPEC §12), every half minute and at start: the end of the day (earlier
// days' tickets closed, today's waiting ones once the branch has closed) and automatic no-shows.
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('floor', ({ services: { floor } }) => async () => {
  const endOfDay = await floor.endOfDay();
  const autoNoShows = await floor.autoNoShow();
  return { ...endOfDay, autoNoShows };
});
