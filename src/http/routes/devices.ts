import { Hono } from 'hono';
import type { DeviceService } from '../../modules/devices/device.service.js';
import { readJsonBody } from '../middleware/json-body.js';
import { requestOrigin } from '../middleware/principal.js';
import { parseId } from '../schemas/params.js';

/**
 * A branch's devices (SPEC §17): create (the token shown once), list, rename or set the printer,
 * revoke. Who may call what is decided before these handlers, in route-permissions.ts.
 */
export function deviceRoutes({ devices, trustProxy }: { devices: DeviceService; trustProxy: boolean }): Hono {
  const app = new Hono();

  app.get('/branches/:code/devices', async (c) => c.json({ devices: await devices.list(c.req.param('code')) }));

  app.post('/branches/:code/devices', async (c) => {
    const { device, token } = await devices.create(c.req.param('code'), await readJsonBody(c), requestOrigin(c, trustProxy));
    return c.json({ ...device, token, aviso: 'El token se muestra una sola vez: guárdalo ahora' }, 201);
  });

  app.patch('/devices/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    return c.json(await devices.update(id, await readJsonBody(c), requestOrigin(c, trustProxy)));
  });

  app.delete('/devices/:id', async (c) => c.json(await devices.revoke(parseId(c.req.param('id')), requestOrigin(c, trustProxy))));

  return app;
}
