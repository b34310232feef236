import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await seedBranch(app.db, 'Sucursal Providencia', []);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${app.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' } });

async function grantsOf(id: number): Promise<string[]> {
  const rows = await app.db.query<{ branch_office: string }>('select branch_office from staff_branch_grant where account_id = $1 order by 1', [id]);
  return rows.map((r) => r.branch_office);
}

describe("a supervisor's branch grant names a real branch (SPEC §18)", () => {
  it('refuses an account whose grant names no branch with 400, and stores nothing', async () => {
    const response = await admin('/api/admin/accounts', {
      method: 'POST',
      body: JSON.stringify({ email: 'sup.fantasma@banco.cl', name: 'Sup', role: 'SUPERVISOR', branches: ['Sucursal Fantasma'] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; campos: Record<string, string> };
    expect(body.error).toBe('VALIDACION_FALLIDA');
    expect(body.campos.branches).toContain('Sucursal Fantasma');
    const [count] = await app.db.query<{ n: number }>(`select count(*)::int as n from staff_account where email = 'sup.fantasma@banco.cl'`);
    expect(count!.n).toBe(0);
  });

  it('refuses a grant to a missing branch in the database itself (SQLSTATE 23503)', async () => {
    const { account } = await app.services.accounts.create({ email: 'otra@banco.cl', name: 'Otra', role: 'AUDITOR' }, { actor: 'SYSTEM' });
    await expect(
      app.db.query(`insert into staff_branch_grant (account_id, branch_office, created_at) values ($1, 'No Existe', now())`, [account!.id]),
    ).rejects.toMatchObject({ code: '23503' });
  });

  it('carries the grant when the branch is renamed, and keeps a branch with grants from being deleted', async () => {
    const created = await admin('/api/admin/accounts', {
      method: 'POST',
      body: JSON.stringify({ email: 'sup.providencia@banco.cl', name: 'Sup', role: 'SUPERVISOR', branches: ['Sucursal Providencia'] }),
    });
    expect(created.status).toBe(201);
    const account = (await created.json()) as { id: number };
    expect(await grantsOf(account.id)).toEqual(['Sucursal Providencia']);

    await app.db.query(`update branch set name = 'Sucursal Providencia Norte' where name = 'Sucursal Providencia'`);
    expect(await grantsOf(account.id)).toEqual(['Sucursal Providencia Norte']);
    const me = await admin(`/api/admin/accounts`);
    const listed = ((await me.json()) as { accounts: Array<{ id: number; branches: string[] }> }).accounts.find((a) => a.id === account.id);
    expect(listed?.branches).toEqual(['Sucursal Providencia Norte']);

    await expect(app.db.query(`delete from branch where name = 'Sucursal Providencia Norte'`)).rejects.toMatchObject({ code: '23503' });
  });

  it('refuses a PATCH to a missing branch with 400 and keeps the grants it had', async () => {
    const [row] = await app.db.query<{ id: string }>(`select id from staff_account where email = 'sup.providencia@banco.cl'`);
    const id = Number(row!.id);
    const response = await admin(`/api/admin/accounts/${id}`, { method: 'PATCH', body: JSON.stringify({ branches: ['Sucursal Fantasma'] }) });
    expect(response.status).toBe(400);
    expect(await grantsOf(id)).toEqual(['Sucursal Providencia Norte']);
  });
});
