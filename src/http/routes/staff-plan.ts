import { Hono } from 'hono';
import type { StaffPlanService } from '../../modules/staff-plan/staff-plan.service.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { parseId } from '../schemas/params.js';

/** Advisors' planned hours (SPEC §13): `GET/PUT /api/admin/advisors/:id/plan?date=YYYY-MM-DD`. */
export function staffPlanRoutes({ staffPlan, trustProxy }: { staffPlan: StaffPlanService; trustProxy: boolean }): Hono {
  const app = new Hono();
  app.get('/advisors/:id/plan', async (c) => c.json(await staffPlan.get(parseId(c.req.param('id')), c.req.query('date'))));
  app.put('/advisors/:id/plan', async (c) => {
    const id = parseId(c.req.param('id'));
    const body = await readJsonBody(c);
    return c.json(await staffPlan.put(id, c.req.query('date'), body, requestOrigin(c, trustProxy)));
  });
  return app;
}

