import { Advisor } from '../modules/advisors/advisor.entity.js';
import { AuditLog, AuditLogArchive } from '../modules/audit/audit-log.entity.js';
import { TelegramCustomer } from '../modules/customers/telegram-customer.entity.js';
import { Mensaje } from '../modules/notifications/mensaje.entity.js';
import { TicketDailyCounter } from '../modules/tickets/daily-counter.entity.js';
import { Ticket } from '../modules/tickets/ticket.entity.js';

export const entities = [Advisor, Ticket, TicketDailyCounter, Mensaje, AuditLog, AuditLogArchive, TelegramCustomer];
