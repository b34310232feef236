import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server where each test file creates (and drops) its own database. */
    adminDatabaseUrl: string;
  }
}

/** DATABASE_URL when set; otherwise one throwaway embedded PostgreSQL 16 for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.DATABASE_URL;
  if (given) {
    project.provide('adminDatabaseUrl', given);
    return async () => {};
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'ticketero-test-'));
  const server = await startEmbeddedPostgres({
    dir,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ephemeral: true,
  });
  project.provide('adminDatabaseUrl', server.url);
  return async () => {
    await server.stop();
    if (server.fallbackDir) await rm(server.fallbackDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  };
}
