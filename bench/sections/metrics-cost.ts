import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import type { BenchContext, Row, Section } from '../support/context.js';
import { fixed, ms, percent, perSecond } from '../support/format.js';
import { runLoad, type LoadResult } from '../support/load.js';
import { resetTicketsBesideJobs } from '../support/postgres.js';

/** Issue target: the metrics cost nothing measurable (within the run-to-run noise of this machine). */
const MAX_COST = 0.05;

/**
 * What /metrics costs the kiosk path: "take a ticket" as fast as the app answers, on the bench's app
 * (metrics on, the default) and on a second app identical but for METRICS_ENABLED=false, each on
 * its own fresh database, in the order on, off, off, on, on, off (after a warm-up of each) so that a machine getting busier or
 * quieter during the run weighs on both sides alike. A Prometheus scrape runs every second
 * during the "on" runs, as in production.
 */
export const metricsCost: Section = {
  id: 'metrics-cost',
  title: 'take a ticket: metrics on vs off',
  async run(context) {
    const scratch = await context.scratchDatabase('nometrics');
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      KIOSK_API_KEY: context.kioskApiKey,
      DATABASE_URL: scratch.url,
      DATABASE_POOL_MAX: String(context.config.databasePoolMax),
      METRICS_ENABLED: 'false',
    });
    const off = await startApp(config, { logger: createLogger('silent') });
    try {
      const on = context.app;
      const runs: Array<{ metrics: boolean; result: LoadResult }> = [];
      for (const app of [on, off]) {
        context.log(`warm-up ${context.settings.warmupSeconds} s (metrics ${app === on ? 'on' : 'off'})`);
        await measure(context, app, app === on, context.settings.warmupSeconds);
      }
      for (const metrics of [true, false, false, true, true, false]) {
        const app = metrics ? on : off;
        const url = metrics ? context.database.url : scratch.url;
        await settle(app, url);
        context.log(`metrics ${metrics ? 'on' : 'off'}: POST /api/tickets, ${context.settings.connections} connections, ${context.settings.seconds} s`);
        const result = await measure(context, app, metrics, context.settings.seconds);
        context.log(`  ${perSecond(result.created / result.seconds)}, p50 ${ms(result.latency.p50)}`);
        runs.push({ metrics, result });
      }
      const rate = (metrics: boolean): number => {
        const mine = runs.filter((r) => r.metrics === metrics).map((r) => r.result);
        return mine.reduce((sum, r) => sum + r.created, 0) / mine.reduce((sum, r) => sum + r.seconds, 0);
      };
      const p50 = (metrics: boolean): number =>
        Math.max(...runs.filter((r) => r.metrics === metrics).map((r) => r.result.latency.p50));
      const ratio = rate(true) / rate(false);
      return [
        { metric: 'metrics on: tickets/s', value: perSecond(rate(true)) },
        { metric: 'metrics off: tickets/s', value: perSecond(rate(false)) },
        { metric: 'metrics on: worst p50', value: ms(p50(true)) },
        { metric: 'metrics off: worst p50', value: ms(p50(false)) },
        {
          metric: 'on / off throughput',
          value: percent(ratio),
          target: `>= ${fixed((1 - MAX_COST) * 100, 0)} %`,
          met: ratio >= 1 - MAX_COST,
        },
      ] satisfies Row[];
    } finally {
      await off.stop();
    }
  },
};

async function measure(context: BenchContext, app: RunningApp, scrape: boolean, seconds: number): Promise<LoadResult> {
  const { settings } = context;
  const scraper = scrape
    ? setInterval(() => {
        void fetch(`${app.url}/metrics`).then((r) => r.text()).catch(() => {});
      }, 1000)
    : undefined;
  try {
    return await runLoad({
      url: `${app.url}/api/tickets`,
      apiKey: context.kioskApiKey,
      connections: settings.connections,
      seconds,
      workload: { firstRut: context.freshRuts(), branches: context.branches },
    });
  } finally {
    clearInterval(scraper);
  }
}

/** Empties the queue between runs, once the app has finished what the last run left in flight. */
async function settle(app: RunningApp, url: string): Promise<void> {
  await app.services.assignment.settled();
  // The queue job may still hold rows of the last run.
  await resetTicketsBesideJobs(url);
}
