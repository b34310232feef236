/**
 * The one place the tests' KIOSK_API_KEY and ADMIN_API_KEY are spelled (SPEC §22: at least 32
 * characters each, and different from each other). Unit tests import them from here; integration
 * tests through test/support/app.ts.
 */
export const KIOSK_KEY = 'kiosk-test-key-0123456789abcdefghij';
export const ADMIN_KEY = 'admin-test-key-0123456789abcdefghij';
