import { Hono } from 'hono';

/** 200 while the database answers, 503 otherwise: what a load balancer needs to know. */
export function healthRoutes(checkDatabase: () => Promise<boolean>): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const ok = await checkDatabase().catch(() => false);
    return ok
      ? c.json({ status: 'ok' })
      : c.json({ status: 'error', error: 'SERVICIO_NO_DISPONIBLE', mensaje: 'La base de datos no responde' }, 503);
  });
  return app;
}
