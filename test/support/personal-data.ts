import type { RunningApp } from '../../src/main.js';

/**
 * A RUT or phone the way the app stores it (SPEC §14): `[ciphertext, blind index]`, for tests that
 * write rows with plain SQL to set a scene.
 */
export function sealedRut(app: Pick<RunningApp, 'personalData'>, rut: string): [string, Buffer] {
  return [app.personalData.encrypt('rut', rut), app.personalData.blindIndex('rut', rut)];
}

export function sealedPhone(app: Pick<RunningApp, 'personalData'>, phone: string): [string, Buffer] {
  return [app.personalData.encrypt('phone', phone), app.personalData.blindIndex('phone', phone)];
}

export function rutIndex(app: Pick<RunningApp, 'personalData'>, rut: string): Buffer {
  return app.personalData.blindIndex('rut', rut);
}
