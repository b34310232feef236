// The chats' "Mi turno" messages (SPEC §6), every 5 s: the text each should show is planned here,
// from the tickets; the dispatcher makes the edits under its rate cap, circuit breaker and retry rules.
import { planStatusMessages } from '../../bot/status-refresher.js';
import { runJobWorker } from '../worker-runtime.js';

await runJobWorker('status-messages', ({ services }) => () => planStatusMessages(services));
