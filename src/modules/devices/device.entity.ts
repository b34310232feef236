import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { between, oneOf } from '../../db/checks.js';
import { Branch } from '../branches/branch.entity.js';
import { DEVICE_KINDS, type DeviceKind } from './device-kinds.js';

// The kinds live apart so the services (and the job workers) load them without MikroORM.
export { DEVICE_KINDS, type DeviceKind };

/**
 * A device of one branch (SPEC §17, §19) with its own bearer token: shown once, only its SHA-256
 * kept, revoked by setting `revoked_at`. A KIOSK may have a network printer (ESC/POS over TCP).
 */
export const Device = defineEntity({
  name: 'Device',
  tableName: 'device',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    kind: p.string().length(10).$type<DeviceKind, string>(),
    branch: p.manyToOne(Branch).fieldName('branch_id').deleteRule('no action').updateRule('no action').index('idx_device_branch'),
    name: p.string().length(100),
    tokenHash: p.string().length(64).unique('device_token_hash_unique'),
    /** The token's first characters (`tk_kiosk_AbCd`), to tell devices apart without the secret. */
    tokenPrefix: p.string().length(20),
    createdBy: p.string().length(100).nullable(),
    createdAt: createdAtColumn(),
    lastSeenAt: p.datetime().columnType('timestamp').nullable(),
    revokedAt: p.datetime().columnType('timestamp').nullable(),
    printerHost: p.string().length(255).nullable(),
    printerPort: p.integer().nullable(),
  }),
  checks: [
    { name: 'device_kind_check', expression: oneOf('kind', DEVICE_KINDS) },
    { name: 'device_printer_port_check', expression: between('printer_port', 1, 65535) },
    // A printer is a host and a port together (the port defaults to 9100 when only a host is given).
    { name: 'device_printer_check', expression: '(printer_host is null) = (printer_port is null)' },
  ],
});
