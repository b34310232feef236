import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rememberedFallback } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { startApp } from '../../src/main.js';
import { KEY_FILE_NAME } from '../../src/modules/privacy/key-source.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('with no DATABASE_URL', () => {
  it('starts an embedded PostgreSQL, migrates it, serves, and stops it on shutdown', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ticketero-embedded-'));
    try {
      const config = loadConfig({
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      });
      const lines: string[] = [];
      const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
      const app = await startApp(config, { logger });
      // As root, a folder the postgres user cannot reach (mkdtemp makes it 0700) is swapped for one it can.
      expect(app.database.embeddedDataDir).toMatch(/[/\\]pg$/);
      const pidFile = path.join(app.database.embeddedDataDir!, 'postmaster.pid');
      const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
      expect(isRunning(pid)).toBe(true);

      expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
      // Development mode: the kiosk answers without a key.
      const created = await fetch(`${app.url}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nationalId: '12.345.678-5', queueType: 'CAJA' }),
      });
      expect(created.status).toBe(201);

      // SPEC §14: no keys given, so they were generated in DATA_DIR, readable by the owner only.
      const keyFile = path.join(dataDir, KEY_FILE_NAME);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      const [stored] = await app.sql.execute<{ national_id_enc: string }[]>('select national_id_enc from ticket');
      expect(stored!.national_id_enc).toMatch(/^v1:k\d{8}:/);

      await app.stop();
      expect(isRunning(pid)).toBe(false);
      expect(existsSync(pidFile)).toBe(false);

      // A second start reuses the cluster, its data and its keys (a different key would stop it).
      const again = await startApp(config, { logger });
      // …and the log said so once, naming the variables.
      expect(lines.filter((l) => l.includes('se generaron claves'))).toHaveLength(1);
      expect(lines.find((l) => l.includes('se generaron claves'))).toMatch(/DATA_ENCRYPTION_KEYS \/ BLIND_INDEX_KEY/);
      expect(again.personalData.decrypt('rut', stored!.national_id_enc)).toBe('12345678-5');
      const [row] = await again.sql.execute<{ n: number }[]>('select count(*)::int as n from ticket');
      expect(row!.n).toBe(1);
      await again.stop();
    } finally {
      const fallback = await rememberedFallback(dataDir);
      if (fallback) await rm(fallback, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000); // initdb, migrations and two starts of a real server: 30 s timed out at a load average of 19
});
