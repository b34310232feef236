// Weekly: REINDEX CONCURRENTLY of the two created_at indexes, then ANALYZE.
import { MaintenanceService } from '../../modules/maintenance/maintenance.service.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('weekly-maintenance', ({ db, clock, logger }) => {
  const maintenance = new MaintenanceService({ db, clock, logger });
  return () => maintenance.runWeekly();
});
