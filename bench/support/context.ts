import type { Config } from '../../src/config.js';
import type { RunningApp } from '../../src/main.js';
import type { BenchDatabase, PgServer } from './postgres.js';

/** What can be tuned from the environment. */
export interface BenchSettings {
  /** BENCH_SECONDS: length of each measured run (default 10). */
  seconds: number;
  /** BENCH_BRANCHES: branches the load is spread over (default 4; the seed has one). */
  branches: number;
  /** Concurrent connections (kiosks) of the throughput runs, and loops of the raw baseline. */
  connections: number;
  /** Requests per second of the steady-rate run, and its connections. */
  steadyRate: number;
  steadyConnections: number;
  /** Unmeasured run before each throughput run, to warm the JIT and the pools. */
  warmupSeconds: number;
  /** BENCH_YEAR_SCALE: share of a year of a busy branch the `year` section loads (default 1: 9 M tickets, 36 M audit rows). */
  yearScale: number;
}

/** Everything a section may use; the app is started once for all sections. */
export interface BenchContext {
  settings: BenchSettings;
  server: PgServer;
  app: RunningApp;
  config: Config;
  /** The app's database. */
  database: BenchDatabase;
  kioskApiKey: string;
  /** Branches that have advisors in the app's database (see prepareBranches). */
  branches: readonly string[];
  /** First RUT body of a block of RUTs no earlier run of this bench has used (see rutBlock). */
  freshRuts(): number;
  /** A new migrated database with the same branches; dropped when the bench ends. */
  scratchDatabase(label: string): Promise<BenchDatabase>;
  log(message: string): void;
}

/** One line of figures. `met` is set when the figure has a target. */
export interface Row {
  metric: string;
  value: string;
  target?: string;
  met?: boolean;
}

export interface Section {
  /** Short name to pick it with BENCH_SECTIONS, e.g. `queue-job`. */
  id: string;
  title: string;
  run(context: BenchContext): Promise<Row[]>;
}
