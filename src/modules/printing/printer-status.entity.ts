import { defineEntity, p } from '@mikro-orm/core';
import { oneOf } from '../../db/checks.js';
import { Device } from '../devices/device.entity.js';

/** What the last ticket of a device came to on its printer (SPEC §19). */
export const PRINT_STATES = ['IMPRESA', 'SIN_PAPEL', 'DESCONECTADA'] as const;
export type PrintState = (typeof PRINT_STATES)[number];

/**
 * A kiosk device's printer as its last ticket found it: the dashboard's TOTEM_SIN_PAPEL /
 * IMPRESORA_DESCONECTADA while it is not IMPRESA; `since` is when this state began.
 * One row per device, written after each printed (or not printed) ticket.
 */
export const DevicePrinterStatus = defineEntity({
  name: 'DevicePrinterStatus',
  tableName: 'device_printer_status',
  properties: {
    device: p.manyToOne(Device).fieldName('device_id').primary().deleteRule('cascade').updateRule('no action'),
    estado: p.string().length(20).$type<PrintState, string>(),
    /** Why DESCONECTADA: SIN_CONEXION, SIN_RESPUESTA, NO_LISTA, ERROR_DE_ENVIO. */
    motivo: p.string().length(30).nullable(),
    since: p.datetime().columnType('timestamp'),
    updatedAt: p.datetime().columnType('timestamp'),
  },
  checks: [{ name: 'device_printer_status_estado_check', expression: oneOf('estado', PRINT_STATES) }],
});
