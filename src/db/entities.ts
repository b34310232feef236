import { Advisor } from '../modules/advisors/advisor.entity.js';
import { AdvisorLinkCode } from '../modules/advisors/link-code.entity.js';
import { AuditLog, AuditLogArchive } from '../modules/audit/audit-log.entity.js';
import { RutVerificationLink, TelegramChatRut, TelegramCustomer, TelegramVerifiedRut } from '../modules/customers/telegram-customer.entity.js';
import { BotConversation, TelegramStatusMessage, TicketTelegramLink } from '../modules/customers/ticket-link.entity.js';
import { JobRun } from '../modules/jobs/job-run.entity.js';
import { Mensaje } from '../modules/notifications/mensaje.entity.js';
import { TicketDailyCounter } from '../modules/tickets/daily-counter.entity.js';
import { Ticket } from '../modules/tickets/ticket.entity.js';
import { PersonalDataKey } from '../modules/privacy/personal-data-key.entity.js';
import { AdvisorStatusPeriod, QueueCallState, TicketVisit } from '../modules/floor/floor.entities.js';
import { AdvisorPlan } from '../modules/staff-plan/advisor-plan.entity.js';
import { Branch } from '../modules/branches/branch.entity.js';
import { TicketComeBack } from '../modules/estimates/come-back.entity.js';
import { TicketIdempotencyKey } from '../modules/tickets/idempotency-key.entity.js';
import { TicketLinkToken } from '../modules/ticket-links/ticket-link-token.entity.js';
import { ApiToken, AuthRateLimit, StaffAccount, StaffBranchGrant, StaffSession } from '../modules/accounts/account.entities.js';
import { TicketWaitingCount } from '../modules/tickets/waiting-count.entity.js';
import { TicketPhoneConsent } from '../modules/tickets/phone-consent.entity.js';
import { Device } from '../modules/devices/device.entity.js';
import { DevicePrinterStatus } from '../modules/printing/printer-status.entity.js';
import { ReportAdvisorRollup, ReportDailyRollup, ReportRollup } from '../modules/reports/report.entities.js';
import { OidcLogin } from '../modules/accounts/oidc-login.entity.js';

export const entities = [
  Advisor,
  AdvisorLinkCode,
  Ticket,
  TicketDailyCounter,
  Mensaje,
  AuditLog,
  AuditLogArchive,
  TelegramCustomer,
  TelegramChatRut,
  TelegramVerifiedRut,
  JobRun,
  TicketTelegramLink,
  TelegramStatusMessage,
  BotConversation,
  PersonalDataKey,
  AdvisorStatusPeriod,
  QueueCallState,
  TicketVisit,
  AdvisorPlan,
  TicketComeBack,
  TicketIdempotencyKey,
  TicketLinkToken,
  StaffAccount,
  StaffBranchGrant,
  StaffSession,
  ApiToken,
  AuthRateLimit,
  TicketWaitingCount,
  Branch,
  TicketPhoneConsent,
  Device,
  DevicePrinterStatus,
  ReportRollup,
  ReportAdvisorRollup,
  ReportDailyRollup,
  OidcLogin,
  RutVerificationLink,
];
