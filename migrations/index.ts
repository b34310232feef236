// Every migration, in order. The app runs this list (no file globbing, so it behaves the
// same under tsx, vitest, Bree workers and the compiled dist/). Never edit a released one.
import { Migration20261129160749_initial_schema } from './Migration20261129160749_initial_schema.js';
import { Migration20261129160800_seed_advisors } from './Migration20261129160800_seed_advisors.js';
import { Migration20261129161502_queue_and_jobs } from './Migration20261129161502_queue_and_jobs.js';
import { Migration20261129163826_telegram } from './Migration20261129163826_telegram.js';
import { Migration20261129171626_dispatch_indexes } from './Migration20261129171626_dispatch_indexes.js';
import { Migration20261130100000_service_floor } from './Migration20261130100000_service_floor.js';
import { Migration20261130110000_come_back_and_staff_plan } from './Migration20261130110000_come_back_and_staff_plan.js';
import { Migration20261130120000_personal_data_encrypted } from './Migration20261130120000_personal_data_encrypted.js';
import { Migration20261130120001_drop_plaintext_personal_data } from './Migration20261130120001_drop_plaintext_personal_data.js';
import { Migration20261130130000_screen_notify } from './Migration20261130130000_screen_notify.js';
import { Migration20261130130100_audit_log_partitioned } from './Migration20261130130100_audit_log_partitioned.js';
import { Migration20261204200000_ticket_completed_index } from './Migration20261204200000_ticket_completed_index.js';
import { Migration20261205100000_chat_ownership } from './Migration20261205100000_chat_ownership.js';
import { Migration20261205120000_staff_accounts } from './Migration20261205120000_staff_accounts.js';
import { Migration20261205130000_idempotency_keys } from './Migration20261205130000_idempotency_keys.js';
import { Migration20261205130100_ticket_link_tokens } from './Migration20261205130100_ticket_link_tokens.js';
import { Migration20261205130200_ticket_phone_consent } from './Migration20261205130200_ticket_phone_consent.js';
import { Migration20261205140000_ticket_waiting_count } from './Migration20261205140000_ticket_waiting_count.js';
import { Migration20261205150000_mensaje_esperas } from './Migration20261205150000_mensaje_esperas.js';
import { Migration20261205110000_branches } from './Migration20261205110000_branches.js';
import { Migration20261206120000_staff_admin } from './Migration20261206120000_staff_admin.js';
import { Migration20261206110000_staff_grant_branch_fk } from './Migration20261206110000_staff_grant_branch_fk.js';
import { Migration20261207130000_ticket_take_number } from './Migration20261207130000_ticket_take_number.js';
import { Migration20261206140000_device_printer_status } from './Migration20261206140000_device_printer_status.js';
import { Migration20261206130000_devices } from './Migration20261206130000_devices.js';
import { Migration20261206150000_branch_finder } from './Migration20261206150000_branch_finder.js';

export const migrationsList = [
  { name: 'Migration20261129160749_initial_schema', class: Migration20261129160749_initial_schema },
  { name: 'Migration20261129160800_seed_advisors', class: Migration20261129160800_seed_advisors },
  { name: 'Migration20261129161502_queue_and_jobs', class: Migration20261129161502_queue_and_jobs },
  { name: 'Migration20261129163826_telegram', class: Migration20261129163826_telegram },
  { name: 'Migration20261129171626_dispatch_indexes', class: Migration20261129171626_dispatch_indexes },
  { name: 'Migration20261130100000_service_floor', class: Migration20261130100000_service_floor },
  { name: 'Migration20261130110000_come_back_and_staff_plan', class: Migration20261130110000_come_back_and_staff_plan },
  { name: 'Migration20261130120000_personal_data_encrypted', class: Migration20261130120000_personal_data_encrypted },
  { name: 'Migration20261130120001_drop_plaintext_personal_data', class: Migration20261130120001_drop_plaintext_personal_data },
  { name: 'Migration20261130130000_screen_notify', class: Migration20261130130000_screen_notify },
  { name: 'Migration20261130130100_audit_log_partitioned', class: Migration20261130130100_audit_log_partitioned },
  { name: 'Migration20261204200000_ticket_completed_index', class: Migration20261204200000_ticket_completed_index },
  { name: 'Migration20261205100000_chat_ownership', class: Migration20261205100000_chat_ownership },
  { name: 'Migration20261205120000_staff_accounts', class: Migration20261205120000_staff_accounts },
  { name: 'Migration20261205130000_idempotency_keys', class: Migration20261205130000_idempotency_keys },
  { name: 'Migration20261205130100_ticket_link_tokens', class: Migration20261205130100_ticket_link_tokens },
  { name: 'Migration20261205130200_ticket_phone_consent', class: Migration20261205130200_ticket_phone_consent },
  { name: 'Migration20261205150000_mensaje_esperas', class: Migration20261205150000_mensaje_esperas },
  { name: 'Migration20261205140000_ticket_waiting_count', class: Migration20261205140000_ticket_waiting_count },
  { name: 'Migration20261205110000_branches', class: Migration20261205110000_branches },
  { name: 'Migration20261206120000_staff_admin', class: Migration20261206120000_staff_admin },
  { name: 'Migration20261206130000_devices', class: Migration20261206130000_devices },
  { name: 'Migration20261206150000_branch_finder', class: Migration20261206150000_branch_finder },
  { name: 'Migration20261206110000_staff_grant_branch_fk', class: Migration20261206110000_staff_grant_branch_fk },
  { name: 'Migration20261206140000_device_printer_status', class: Migration20261206140000_device_printer_status },
  { name: 'Migration20261207130000_ticket_take_number', class: Migration20261207130000_ticket_take_number },
];
