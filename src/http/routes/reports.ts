import { Hono } from 'hono';
import type { ReportService } from '../../modules/reports/report.service.js';

/**
 * The reports (SPEC §20), read from the rollups. Who may read which branch is decided before these
 * handlers, in route-permissions.ts (a SUPERVISOR only their granted branches).
 */
export function reportRoutes({ reports }: { reports: ReportService }): Hono {
  const app = new Hono();

  app.get('/reports/branch', async (c) => {
    const q = c.req.query();
    return c.json(await reports.branchReport({ branch: q.branch, from: q.from, to: q.to, groupBy: q.groupBy, queue: q.queue, by: q.by }));
  });

  app.get('/reports/intraday', async (c) => {
    const q = c.req.query();
    return c.json(await reports.intraday({ branch: q.branch, date: q.date }));
  });

  app.get('/reports/national', async (c) => {
    const q = c.req.query();
    return c.json(await reports.national({ from: q.from, to: q.to, metric: q.metric, region: q.region }));
  });

  return app;
}
