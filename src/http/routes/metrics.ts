import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppMetrics } from '../../metrics/metrics.js';
import { requireBearer } from '../middleware/bearer.js';

export interface MetricsHttpOptions {
  metrics: AppMetrics;
  /** METRICS_API_KEY; unset leaves /metrics open only when the app listens on loopback. */
  apiKey: string | undefined;
  loopbackOnly: boolean;
}

/** Counts every request by its route pattern (not its path: ids would explode the series). */
export function httpMetrics(metrics: AppMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = c.res.status === 404 && routePath(c, -1).endsWith('*') ? 'desconocida' : routePath(c, -1);
      metrics.observeHttp(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  };
}

/** GET /metrics: Prometheus text (SPEC §15). */
export function metricsRoutes({ metrics, apiKey, loopbackOnly }: MetricsHttpOptions): Hono {
  const app = new Hono();
  if (apiKey === undefined && !loopbackOnly) {
    // Open metrics on a public interface would show the bank's traffic to anyone: refuse, and say why.
    app.get('/', (c) =>
      c.json(
        {
          error: 'METRICAS_SIN_CLAVE',
          mensaje: 'Defina METRICS_API_KEY: sin clave, /metrics solo responde cuando la app escucha en loopback (HOST=127.0.0.1)',
        },
        403,
      ),
    );
    return app;
  }
  app.use('*', requireBearer({ key: apiKey, openWhenUnset: true, realm: 'metrics' }));
  app.get('/', async (c) => {
    const text = await metrics.collect();
    return c.body(text, 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}
