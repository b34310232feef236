import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';

/** The pages' files ship with the app (npm run build copies them next to the compiled code). */
const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Loaded once: a handful of small files, served from memory with ETags and cache headers. */
export class Assets {
  private readonly files = new Map<string, Asset>();

  constructor(dir: string = STATIC_DIR) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const body = readFileSync(path.join(dir, name));
      this.files.set(name, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` });
    }
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Pages revalidate every time; scripts and styles may be cached for an hour (ETag-checked). */
  serve(c: Context, name: string): Response {
    const asset = this.files.get(name);
    if (!asset) return c.json({ error: 'NO_ENCONTRADO', mensaje: 'No existe ese archivo' }, 404);
    const cacheControl = asset.type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600';
    if (c.req.header('if-none-match') === asset.etag) {
      return new Response(null, { status: 304, headers: { ETag: asset.etag, 'Cache-Control': cacheControl } });
    }
    return new Response(new Uint8Array(asset.body), {
      status: 200,
      headers: {
        'Content-Type': asset.type,
        'Cache-Control': cacheControl,
        ETag: asset.etag,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  }
}
