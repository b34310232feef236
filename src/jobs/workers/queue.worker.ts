// Queue job (SPEC §8): positions, estimates, PROXIMO, message planning and assignment, every period.
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('queue', ({ services: { queue } }) => async () => {
  const result = await queue.tick();
  return {
    updated: result.updated,
    becameProximo: result.becameProximo.length,
    rescheduled: result.rescheduled,
    comeBackNotified: result.comeBackNotified.length,
    assigned: result.assignments.length,
  };
});
