import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import type { Assets } from '../assets.js';

export interface SupervisorWebDeps {
  assets: Assets;
}

/** ECharts (SPEC §20: served by the app from node_modules, no CDN), read once on first use. */
let echarts: { body: Uint8Array<ArrayBuffer>; etag: string } | null = null;
function echartsScript(): { body: Uint8Array<ArrayBuffer>; etag: string } {
  if (!echarts) {
    const body = readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'));
    echarts = { body: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer), etag: `"echarts-${body.length}"` };
  }
  return echarts;
}

/**
 * The supervisor's pages (SPEC RF-007, §20): people sign in at /ingresar with their own account
 * (SPEC §18). The pages have no API of their own: they call the admin API (/api/admin/…) with the
 * session, one more way to authenticate on the one door; the route table decides who may do what
 * and the CSRF middleware checks every write.
 */
export function supervisorWebRoutes(deps: SupervisorWebDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const principal = c.get('principal');
    if (!principal || principal.kind !== 'staff') return c.redirect('/ingresar?volver=/supervisor', 303);
    if (principal.mustChangePassword || principal.mustEnrolTotp || principal.mustVerifyTotp) return c.redirect('/ingresar?volver=/supervisor', 303);
    if (principal.role === 'ASESOR') return c.redirect('/escritorio', 303);
    return deps.assets.serve(c, 'supervisor.html');
  });

  // SPEC §20: the reports page, for whoever may read reports (ADMIN and AUDITOR see the nation too).
  app.get('/reportes', (c) => {
    const principal = c.get('principal');
    if (!principal || principal.kind !== 'staff') return c.redirect('/ingresar?volver=/supervisor/reportes', 303);
    if (principal.mustChangePassword || principal.mustEnrolTotp || principal.mustVerifyTotp) return c.redirect('/ingresar?volver=/supervisor/reportes', 303);
    if (principal.role === 'ASESOR') return c.redirect('/escritorio', 303);
    return deps.assets.serve(c, 'reportes.html');
  });

  app.get('/vendor/echarts.min.js', (c) => {
    const script = echartsScript();
    if (c.req.header('if-none-match') === script.etag) return c.body(null, 304);
    return c.body(script.body, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=86400',
      ETag: script.etag,
      'X-Content-Type-Options': 'nosniff',
    });
  });

  return app;
}
