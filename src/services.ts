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
import type { PersonalDataCipher } from './modules/privacy/cipher.js';
import { PersonalDataService } from './modules/privacy/personal-data.service.js';
import { createLogger, type Logger } from './logger.js';
import { WaitEstimator } from './modules/estimates/wait-estimator.js';
import { ComeBackService } from './modules/estimates/come-back.service.js';
import { StaffPlanService } from './modules/staff-plan/staff-plan.service.js';
import { TicketLinkService } from './modules/ticket-links/ticket-link.service.js';
import { TotemService } from './modules/totem/totem.service.js';
import { AccountService } from './modules/accounts/account.service.js';
import { DeviceService, devicePrinter } from './modules/devices/device.service.js';
import { TicketPrintingService } from './modules/printing/printing.service.js';
import { BranchZones } from './modules/branches/branch-zones.js';
import { BranchFinder } from './modules/branches/branch-finder.js';
import { BranchAdminService } from './modules/branches/branch-admin.service.js';
import { StaffService } from './modules/advisors/staff.service.js';
import { ImportService } from './modules/import/import.service.js';
import { ReportService } from './modules/reports/report.service.js';
import { RollupService } from './modules/reports/rollup.service.js';
import { OidcLogins, OidcRelyingParty } from './modules/accounts/oidc.js';
import { MaintenanceService } from './modules/maintenance/maintenance.service.js';
import { StatusMessages } from './modules/customers/status-messages.js';
import { StaffSso } from './modules/accounts/staff-sso.js';
import { RutVerification } from './modules/customers/rut-verification.js';

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
  /** The holder's rights (SPEC §14): access, export and erasure of a person's RUT and phone. */
  personas: PersonalDataService;
  /** The wait-time estimator (SPEC §13), whichever WAIT_ESTIMATOR says is shown. */
  estimator: WaitEstimator;
  comeBack: ComeBackService;
  staffPlan: StaffPlanService;
  /** SPEC §19: the QR's single-use token and the short code that link a kiosk ticket to a chat. */
  ticketLinks: TicketLinkService;
  /** SPEC §19: a number taken at a kiosk (idempotent, with its link into the bot). */
  totem: TotemService;
  /** SPEC §18: accounts, sessions and integration tokens. */
  accounts: AccountService;
  /** SPEC §18: staff single sign-on through the bank's identity provider; null when OIDC_ISSUER is unset. */
  staffSso: StaffSso | null;
  /** SPEC §22: "Verificar mi RUT" through the customer's identity provider; null when CUSTOMER_OIDC_ISSUER is unset. */
  rutVerification: RutVerification | null;
  /** SPEC §17: tótems and screens with their own tokens. */
  devices: DeviceService;
  /** SPEC §17: the bot's branch finder (nearest, search by name or comuna, the chat's last branch). */
  branchFinder: BranchFinder;
  /** SPEC §17: branches as data (create, edit, deactivate). */
  branches: BranchAdminService;
  /** SPEC §17: advisors as data (create, edit, deactivate, reactivate). */
  staff: StaffService;
  /** SPEC §17: the bulk import of branches and staff from CSV. */
  imports: ImportService;
  /** SPEC §19: kiosk tickets printed on their device's ESC/POS printer, and the printers' alerts. */
  printing: TicketPrintingService;
  /** SPEC §20: the reports, read from the rollups. */
  reports: ReportService;
  /** SPEC §20: the one writer of the report rollups. */
  rollups: RollupService;
  /** SPEC §8: the daily and weekly maintenance jobs' work. */
  maintenance: MaintenanceService;
  /** The chats' "Mi turno" messages: saved by the bot, planned by their job, edited by the dispatcher. */
  statusMessages: StatusMessages;
}

export function createServices(deps: {
  db: Db;
  clock: Clock;
  events: EventBus;
  config: Config;
  links: DeepLinks;
  /** SPEC §14: encryption and blind indexes of RUTs and phones. */
  personalData: PersonalDataCipher;
  logger?: Logger;
  /** The simulator's: stale wait-time statistics are re-read before use, never served meanwhile (repeatable runs). */
  waitForFreshStatistics?: boolean;
}): Services {
  const { db, clock, events, config, links, personalData } = deps;
  const preferentialEvery = config.floor.preferentialEvery;
  // Each branch's time zone, for what is computed in TypeScript (SPEC §17).
  const zones = new BranchZones({ fallback: config.branchTimeZone });
  const waitEstimator = new WaitEstimator({
    clock,
    zones,
    preferentialEvery,
    waitForFreshStatistics: deps.waitForFreshStatistics ?? false,
  });
  // WAIT_ESTIMATOR=formula keeps the seed's formula everywhere (the simulator's baseline).
  const estimator = config.waitEstimator === 'replay' ? waitEstimator : undefined;
  const assignment = new AssignmentService({ db, clock, events, preferentialEvery });
  const advisors = new AdvisorService({ db, clock, personalData });
  const queue = new QueueService({ db, clock, events, assignment, proximoThreshold: config.proximoThreshold, preferentialEvery, estimator });
  const floor = new FloorService({
    db,
    clock,
    events,
    assignment,
    advisors,
    settings: config.floor,
    proximoThreshold: config.proximoThreshold,
  });
  const printing = new TicketPrintingService({
    db,
    clock,
    zones,
    printerOf: devicePrinter,
    timeoutMs: config.printerTimeoutMs,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const supervision = new SupervisionService({ db, clock, advisors, zones, floor: config.floor, estimator, personalData, printing });
  const tickets = new TicketService({
    db,
    clock,
    events,
    settings: {
      defaultBranch: config.branchOffice,
      opensEarlyMinutes: config.kioskOpensEarlyMinutes,
      proximoThreshold: config.proximoThreshold,
      preferentialEvery,
      chatTicketsPerHour: config.chats.ticketsPerHour,
    },
    links,
    floor,
    personalData,
    estimator,
  });
  const customers = new CustomerService({ db, clock, events, personalData, limits: config.chats });
  const personas = new PersonalDataService({ db, clock, events, personalData, tickets, ...(deps.logger ? { logger: deps.logger } : {}) });
  const screen = new ScreenService({
    db,
    clock,
    outlook: waitEstimator,
    replay: config.waitEstimator === 'replay',
  });
  const comeBack = new ComeBackService({ db, clock });
  const staffPlan = new StaffPlanService({ db, clock, zones });
  const ticketLinks = new TicketLinkService({ db, clock });
  const totem = new TotemService({ tickets, ticketLinks, links, printing });
  const accounts = new AccountService({
    db,
    clock,
    cipher: personalData,
    ...(deps.logger ? { logger: deps.logger } : {}),
    settings: { loginAttemptsPerIp: config.accounts.loginAttemptsPerIp, totpIssuer: 'Ticketero' },
  });
  const devices = new DeviceService({ db, clock, ...(deps.logger ? { logger: deps.logger } : {}) });
  const branchFinder = new BranchFinder({ db, clock, opensEarlyMinutes: config.kioskOpensEarlyMinutes });
  const branches = new BranchAdminService({ db, clock, zones, defaults: { timeZone: config.branchTimeZone, closingTime: config.floor.closingTime } });
  const staff = new StaffService({ db, clock, advisors });
  const imports = new ImportService({ db, clock, zones, defaults: { timeZone: config.branchTimeZone, closingTime: config.floor.closingTime } });
  const oidcLogins = new OidcLogins({ db, clock });
  const staffSso = config.staffOidc
    ? new StaffSso({
        rp: new OidcRelyingParty(config.staffOidc, deps.logger),
        logins: oidcLogins,
        accounts,
        settings: config.staffOidc,
        ...(deps.logger ? { logger: deps.logger } : {}),
      })
    : null;
  const rutVerification = config.customerOidc
    ? new RutVerification({
        rp: new OidcRelyingParty(config.customerOidc, deps.logger),
        logins: oidcLogins,
        customers,
        settings: config.customerOidc,
        ...(deps.logger ? { logger: deps.logger } : {}),
      })
    : null;
  return {
    staffSso,
    rutVerification,
    branchFinder,
    ticketLinks,
    totem,
    tickets,
    advisors,
    assignment,
    queue,
    supervision,
    customers,
    screen,
    floor,
    estimator: waitEstimator,
    comeBack,
    staffPlan,
    personas,
    accounts,
    devices,
    branches,
    staff,
    imports,
    printing,
    reports: new ReportService({ db }),
    rollups: new RollupService({ db, clock, slaMinutes: config.reports.slaMinutes, ...(deps.logger ? { logger: deps.logger } : {}) }),
    maintenance: new MaintenanceService({ db, clock, logger: deps.logger ?? createLogger('silent') }),
    statusMessages: new StatusMessages({ db, clock }),
  };
}
