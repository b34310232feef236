// Development and tests only: lets a Bree worker run a TypeScript job file through tsx.
// Production runs the compiled workers in dist/ directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
