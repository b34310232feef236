// Every hour (so each branch's midnight, in its own zone), and once at start to catch up: today's advisor figures,
// 90/30-day cleanup and the yearly audit archive.
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('daily-maintenance', ({ services }) => () => services.maintenance.runDaily());
