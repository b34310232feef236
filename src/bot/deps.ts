import type { Config } from '../config.js';
import type { Db } from '../db/sql.js';
import type { Logger } from '../logger.js';
import type { Origin } from '../modules/audit/audit.service.js';
import type { Services } from '../services.js';

export interface BotDeps {
  services: Services;
  config: Config;
  logger: Logger;
  db: Db;
}

/** Who acted, for the audit trail: `telegram:<user id>`. */
export const telegramOrigin = (userId: number): Origin => ({ actor: `telegram:${userId}` });
