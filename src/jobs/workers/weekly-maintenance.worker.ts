// Weekly: REINDEX CONCURRENTLY of the two created_at indexes, then ANALYZE.
import { MaintenanceService } from '../../modules/maintenance/maintenance.service.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('weekly-maintenance', ({ db, clock, logger, settings }) => {
  const maintenance = new MaintenanceService({ db, clock, logger, timeZone: settings.branchTimeZone });
  return () => maintenance.runWeekly();
});
