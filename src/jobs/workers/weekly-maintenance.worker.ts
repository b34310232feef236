// Weekly: REINDEX CONCURRENTLY of the two created_at indexes, then ANALYZE.
import { MaintenanceService } from '../../modules/maintenance/maintenance.service.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('weekly-maintenance', ({ orm, clock, logger, settings }) => {
  const maintenance = new MaintenanceService({ orm, clock, logger, timeZone: settings.branchTimeZone });
  return () => maintenance.runWeekly();
});
