// Reports (SPEC §20), every REPORTS_REFRESH_SECONDS and at start: each branch's today's (and
// yesterday's) report rollups recomputed from their tickets, so the reports trail the floor by
// at most one period of this job.
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('reports', ({ services: { rollups } }) => async () => {
  const { days } = await rollups.refreshToday();
  return { days: days.length, rows: days.reduce((n, d) => n + d.rows, 0), advisorRows: days.reduce((n, d) => n + d.advisorRows, 0) };
});
