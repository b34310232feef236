import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/sql.js';
import type { EventBus } from './events.js';
import { AdvisorService } from './modules/advisors/advisor.service.js';
import { CustomerService } from './modules/customers/customer.service.js';
import { FloorService } from './modules/floor/floor.service.js';
import { AssignmentService } from './modules/queue/assignment.service.js';
import { QueueService } from './modules/queue/queue.service.js';
import { ScreenService } from './modules/screen/screen.service.js';
import { SupervisionService } from './modules/supervision/supervision.service.js';
import { TicketService, type DeepLinks } from './modules/tickets/ticket.service.js';

/** The domain core every door uses: the kiosk API, the bot and the jobs call these and nothing else. */
export interface Services {
  tickets: TicketService;
  advisors: AdvisorService;
  assignment: AssignmentService;
  queue: QueueService;
  supervision: SupervisionService;
  customers: CustomerService;
  screen: ScreenService;
  /** The service floor (SPEC §12): every advisor action and the end of the day. */
  floor: FloorService;
}

export function createServices(deps: {
  db: Db;
  clock: Clock;
  events: EventBus;
  config: Config;
  links: DeepLinks;
}): Services {
  const { db, clock, events, config, links } = deps;
  const preferentialEvery = config.floor.preferentialEvery;
  const assignment = new AssignmentService({ db, clock, events, preferentialEvery });
  const advisors = new AdvisorService({ db, clock });
  const queue = new QueueService({ db, clock, events, assignment, proximoThreshold: config.proximoThreshold, preferentialEvery });
  const floor = new FloorService({
    db,
    clock,
    events,
    assignment,
    advisors,
    settings: config.floor,
    timeZone: config.branchTimeZone,
    proximoThreshold: config.proximoThreshold,
  });
  const supervision = new SupervisionService({ db, clock, advisors, timeZone: config.branchTimeZone, floor: config.floor });
  const tickets = new TicketService({
    db,
    clock,
    events,
    settings: {
      defaultBranch: config.branchOffice,
      timeZone: config.branchTimeZone,
      proximoThreshold: config.proximoThreshold,
      preferentialEvery,
    },
    links,
    floor,
  });
  const customers = new CustomerService({ db, clock, events });
  const screen = new ScreenService({ db, clock, supervision, timeZone: config.branchTimeZone });
  return { tickets, advisors, assignment, queue, supervision, customers, screen, floor };
}
