import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/db/embedded.js';

/** Debian's pgbouncer (`apt-get install pgbouncer`); PGBOUNCER_PATH overrides. */
export const PGBOUNCER_PATH = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';
export const hasPgBouncer = existsSync(PGBOUNCER_PATH);

export interface PgBouncer {
  /** `postgresql://…` through PgBouncer, same database as the server URL given. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction mode on a free loopback port in front of `serverUrl`'s server, the
 * settings NOTES.md found to work: trust auth with an auth_file, `options` ignored (so the
 * database itself must be set to UTC), run as `postgres` when we are root (it refuses root).
 */
export async function startPgBouncer(serverUrl: string): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketero-pgbouncer-'));
  chmodSync(dir, 0o777);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o644);
    return file;
  };
  const authFile = write('userlist.txt', `"${user}" "${password}"\n`);
  const ini = write(
    'pgbouncer.ini',
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}${password ? ` password=${password}` : ''}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${authFile}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      'admin_users = ' + user,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(asRoot ? 'runuser' : PGBOUNCER_PATH, asRoot ? ['-u', 'postgres', '--', PGBOUNCER_PATH, ini] : [ini], {
    stdio: 'ignore',
    detached: true,
  });
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with code ${child.exitCode} (see ${dir}/pgbouncer.log)`);
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`pgbouncer did not accept connections within 10 s (see ${dir}/pgbouncer.log)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url: url.toString(),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch {
          done();
        }
      }),
  };
}
