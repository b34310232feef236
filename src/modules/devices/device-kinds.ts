/** SPEC §17: what a device is: a tótem that takes numbers, or a waiting-room screen. */
export const DEVICE_KINDS = ['KIOSK', 'SCREEN'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
