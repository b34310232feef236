import { defineEntity, p } from '@mikro-orm/core';

/** The last run of each scheduled job: what supervisors see, and how a missed daily job catches up. */
export const JobRun = defineEntity({
  name: 'JobRun',
  tableName: 'job_run',
  properties: {
    name: p.string().length(50).primary(),
    lastStartedAt: p.datetime().columnType('timestamp').nullable(),
    lastFinishedAt: p.datetime().columnType('timestamp').nullable(),
    lastSucceededAt: p.datetime().columnType('timestamp').nullable(),
    lastStatus: p.string().length(20).nullable(),
    lastError: p.text().nullable(),
    lastDurationMs: p.integer().nullable(),
    runs: p.integer().default(0),
    failures: p.integer().default(0),
  },
});
