import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { EventBus } from './events.js';
import { AdvisorService } from './modules/advisors/advisor.service.js';
import { AssignmentService } from './modules/queue/assignment.service.js';
import { QueueService } from './modules/queue/queue.service.js';
import { SupervisionService } from './modules/supervision/supervision.service.js';
import { TicketService, type DeepLinks } from './modules/tickets/ticket.service.js';

/** The domain core every door uses: the kiosk API, the bot and the jobs call these and nothing else. */
export interface Services {
  tickets: TicketService;
  advisors: AdvisorService;
  assignment: AssignmentService;
  queue: QueueService;
  supervision: SupervisionService;
}

export function createServices(deps: {
  orm: MikroORM;
  clock: Clock;
  events: EventBus;
  config: Config;
  links: DeepLinks;
}): Services {
  const { orm, clock, events, config, links } = deps;
  const assignment = new AssignmentService({ orm, clock, events });
  const advisors = new AdvisorService({ orm, clock, events, assignment });
  const queue = new QueueService({ orm, clock, events, assignment, proximoThreshold: config.proximoThreshold });
  const supervision = new SupervisionService({ orm, clock, advisors, timeZone: config.branchTimeZone });
  const tickets = new TicketService({
    orm,
    clock,
    events,
    settings: {
      defaultBranch: config.branchOffice,
      timeZone: config.branchTimeZone,
      proximoThreshold: config.proximoThreshold,
    },
    links,
  });
  return { tickets, advisors, assignment, queue, supervision };
}
