import type { OpenAPIHono } from '@hono/zod-openapi';
import { openApiDocument } from './openapi.js';

type Operations = Record<string, unknown>;

/**
 * /openapi.json: the part generated from the routes' zod schemas (@hono/zod-openapi), merged over
 * the hand-written part (src/http/openapi*.ts) of the routes not yet migrated: an operation the
 * routes generate replaces the hand-written one, nothing the app serves is left out.
 */
export function buildOpenApiDocument(app: OpenAPIHono) {
  const generated = app.getOpenAPI31Document({ openapi: '3.1.0', info: openApiDocument.info });
  const paths: Record<string, Operations> = {};
  for (const [path, operations] of Object.entries(openApiDocument.paths)) paths[path] = { ...(operations as Operations) };
  for (const [path, operations] of Object.entries(generated.paths ?? {})) paths[path] = { ...paths[path], ...(operations as Operations) };
  return {
    ...openApiDocument,
    components: {
      ...openApiDocument.components,
      schemas: { ...openApiDocument.components.schemas, ...(generated.components?.schemas ?? {}) },
    },
    paths,
  };
}
