import type { Section } from '../support/context.js';
import { fixed, ms, otherStatuses, perSecond } from '../support/format.js';
import { runLoad } from '../support/load.js';
import { resetTickets } from '../support/postgres.js';

/** Issue target for a branch network's normal day: p99 under 50 ms at 200 tickets per second. */
const MAX_P99_MS = 50;
/** The rate counts as reached within 2 %. */
const RATE_TOLERANCE = 0.98;

/** Latency of "take a ticket" at a steady, sustainable rate (not flat out), from empty queues. */
export const takeTicketSteadyRate: Section = {
  id: 'steady-rate',
  title: 'take a ticket: steady rate',
  async run(context) {
    const { steadyRate, steadyConnections, seconds } = context.settings;
    await resetTickets(context.database.url);
    context.log(`app: POST /api/tickets at ${steadyRate}/s, ${steadyConnections} connections, ${seconds} s`);
    const result = await runLoad({
      url: `${context.app.url}/api/tickets`,
      apiKey: context.kioskApiKey,
      connections: steadyConnections,
      seconds,
      overallRate: steadyRate,
      workload: { firstRut: context.freshRuts(), branches: context.branches },
    });
    for (const failure of result.failures) context.log(`  sample failure: ${failure}`);

    const achieved = result.created / result.seconds;
    return [
      {
        metric: `achieved tickets/s (asked ${steadyRate}/s)`,
        value: perSecond(achieved),
        target: `${steadyRate}/s`,
        met: achieved >= steadyRate * RATE_TOLERANCE,
      },
      { metric: 'latency p50', value: ms(result.latency.p50) },
      { metric: 'latency p90', value: ms(result.latency.p90) },
      {
        metric: 'latency p99',
        value: ms(result.latency.p99),
        target: `< ${fixed(MAX_P99_MS, 0)} ms`,
        met: result.latency.p99 < MAX_P99_MS,
      },
      { metric: 'latency max', value: ms(result.latency.max) },
      { metric: 'non-201 responses', value: `${result.responses - result.created} (${otherStatuses(result.byStatus)})` },
    ];
  },
};
