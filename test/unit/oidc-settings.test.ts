/** SPEC §18, §22: the OpenID Connect settings are validated at start, each problem naming its variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { grantFromClaim } from '../../src/modules/accounts/account.service.js';
import { claimValue } from '../../src/modules/accounts/staff-sso.js';

const BASE = { KIOSK_API_KEY: 'kiosk-key-for-the-oidc-settings-test-0123' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

describe('OIDC settings', () => {
  it('are off by default', () => {
    const config = loadConfig(BASE);
    expect(config.staffOidc).toBeNull();
    expect(config.customerOidc).toBeNull();
  });

  it('read a complete staff provider, the issuer kept as written', () => {
    const config = loadConfig({
      ...BASE,
      OIDC_ISSUER: 'https://login.banco.cl/realms/staff/',
      OIDC_CLIENT_ID: 'ticketero',
      OIDC_CLIENT_SECRET: 's3cr3t',
      OIDC_ROLE_MAP: '{"g-admin":{"role":"ADMIN"},"g-sup":{"role":"SUPERVISOR","branches":["Sucursal Centro"," Maipú "]}}',
      OIDC_AUTO_PROVISION: 'true',
    });
    expect(config.staffOidc).toEqual({
      issuer: 'https://login.banco.cl/realms/staff/',
      clientId: 'ticketero',
      clientSecret: 's3cr3t',
      roleClaim: 'roles',
      roleMap: { 'g-admin': { role: 'ADMIN', branches: [] }, 'g-sup': { role: 'SUPERVISOR', branches: ['Sucursal Centro', 'Maipú'] } },
      autoProvision: true,
    });
  });

  it('refuse an issuer without its client, plain http off loopback, a bad map, auto-provisioning without a map', () => {
    expect(problems({ OIDC_ISSUER: 'https://login.banco.cl' })).toEqual(
      expect.arrayContaining(['OIDC_CLIENT_ID es obligatorio con OIDC_ISSUER', 'OIDC_CLIENT_SECRET es obligatorio con OIDC_ISSUER']),
    );
    expect(problems({ OIDC_ISSUER: 'http://login.banco.cl', OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'b' }).join()).toContain('OIDC_ISSUER debe ser una URL https://');
    expect(problems({ OIDC_ISSUER: 'http://127.0.0.1:9000', OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'b' })).toEqual([]);
    expect(problems({ OIDC_ROLE_MAP: '{"x":{"role":"ROOT"}}' }).join()).toContain('OIDC_ROLE_MAP: "x": role debe ser');
    expect(problems({ OIDC_ROLE_MAP: '{"x":{"role":"SUPERVISOR"}}' }).join()).toContain('un SUPERVISOR necesita al menos una sucursal');
    expect(problems({ OIDC_ROLE_MAP: 'no es json' }).join()).toContain('OIDC_ROLE_MAP: debe ser un objeto JSON');
    expect(problems({ OIDC_AUTO_PROVISION: 'true' })).toContain('OIDC_ROLE_MAP es obligatorio con OIDC_AUTO_PROVISION=true (sin él nadie recibe un rol)');
    expect(problems({ OIDC_ROLE_CLAIM: 'roles y grupos' }).join()).toContain('OIDC_ROLE_CLAIM debe ser el nombre de un claim');
  });

  it('ask PUBLIC_URL of the customer provider (the bot sends a link there)', () => {
    const customer = { CUSTOMER_OIDC_ISSUER: 'https://accounts.claveunica.gob.cl/openid', CUSTOMER_OIDC_CLIENT_ID: 'c', CUSTOMER_OIDC_CLIENT_SECRET: 'd' };
    expect(problems(customer)).toContain('PUBLIC_URL es obligatorio con CUSTOMER_OIDC_ISSUER (el bot envía un enlace a esa dirección)');
    const config = loadConfig({ ...BASE, ...customer, PUBLIC_URL: 'https://turnos.banco.cl/' });
    expect(config.publicUrl).toBe('https://turnos.banco.cl');
    expect(config.customerOidc).toMatchObject({ issuer: 'https://accounts.claveunica.gob.cl/openid', rutClaim: 'rut', scope: 'openid profile' });
    expect(loadConfig({ ...BASE, ...customer, PUBLIC_URL: 'https://t.cl', CUSTOMER_OIDC_SCOPE: 'openid run name' }).customerOidc?.scope).toBe('openid run name');
    expect(problems({ ...customer, PUBLIC_URL: 'https://t.cl', CUSTOMER_OIDC_SCOPE: 'run name' }).join()).toContain('CUSTOMER_OIDC_SCOPE debe empezar con openid');
  });
});

describe('the role claim', () => {
  const map = {
    aud: { role: 'AUDITOR' as const, branches: [] },
    supA: { role: 'SUPERVISOR' as const, branches: ['A'] },
    supB: { role: 'SUPERVISOR' as const, branches: ['B', 'A'] },
    adm: { role: 'ADMIN' as const, branches: [] },
  };
  it('gives the strongest mapped role, a SUPERVISOR the branches of every value', () => {
    expect(grantFromClaim(['otro', 'aud', 'supB', 'supA'], map)).toEqual({ role: 'SUPERVISOR', branches: ['B', 'A'] });
    expect(grantFromClaim(['aud', 'adm'], map)).toEqual({ role: 'ADMIN', branches: [] });
    expect(grantFromClaim(['otro', 'constructor', '__proto__'], map)).toBeNull();
  });
  it('is read by name, or by a dotted path inside an object', () => {
    expect(claimValue({ roles: ['a'] }, 'roles')).toEqual(['a']);
    expect(claimValue({ realm_access: { roles: ['b'] } }, 'realm_access.roles')).toEqual(['b']);
    expect(claimValue({ 'https://banco.cl/roles': 'c' }, 'https://banco.cl/roles')).toBe('c');
    expect(claimValue({ a: 'x' }, 'a.b')).toBeUndefined();
  });
});
