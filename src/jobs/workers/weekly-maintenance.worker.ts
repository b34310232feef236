// Weekly: REINDEX CONCURRENTLY of the two created_at indexes, then ANALYZE.
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('weekly-maintenance', ({ services }) => () => services.maintenance.runWeekly());
