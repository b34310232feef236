import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import { serviceStatsSql } from '../../src/modules/estimates/branch-state.sql.js';
import { createEmptyDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let orm: MikroORM;
let firstRun: string[];

beforeAll(async () => {
  db = await createEmptyDatabase();
  orm = await openOrm({ url: db.url, poolMax: 2 });
  firstRun = await migrate(orm);
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

interface ColumnRow {
  column_name: string;
  data_type: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

/** A column as the seed declares it: type as information_schema spells it, length/precision, null, default. */
interface Expected {
  type: string;
  length?: number;
  precision?: [number, number];
  nullable: boolean;
  /** A pattern the column default must match; `null` means no default. Omitted: not checked. */
  default?: RegExp | null;
}

const TS = 'timestamp without time zone';
const SERIAL: Expected = { type: 'bigint', nullable: false, default: /^nextval\(/ };
const NOW: Expected = { type: TS, nullable: false, default: /^current_timestamp$|^now\(\)$/i };
const ZERO = /^0(\.0+)?(::\w+)?$/;
const varchar = (length: number, nullable = false): Expected => ({ type: 'character varying', length, nullable, default: null });
const int = (nullable = false): Expected => ({ type: 'integer', nullable, default: null });
const ts = (nullable = true): Expected => ({ type: TS, nullable, default: null });
const json = (nullable = true): Expected => ({ type: 'json', nullable, default: null });

/** The seed schema's four tables, column for column (seed-schema.md V1–V3). */
const SEED: Record<string, Record<string, Expected>> = {
  advisor: {
    id: SERIAL,
    name: varchar(100),
    email: varchar(100),
    status: varchar(20),
    module_number: int(),
    assigned_tickets_count: { type: 'integer', nullable: false, default: ZERO },
    workload_minutes: { type: 'integer', nullable: false, default: ZERO },
    average_service_time_minutes: { type: 'numeric', precision: [5, 2], nullable: true, default: ZERO },
    total_tickets_served_today: { type: 'integer', nullable: false, default: ZERO },
    last_assigned_at: ts(),
    queue_types: json(false),
    created_at: NOW,
    updated_at: NOW,
  },
  ticket: {
    id: SERIAL,
    codigo_referencia: { type: 'uuid', nullable: false, default: null },
    numero: varchar(10),
    // SPEC §14 replaces the seed's national_id VARCHAR(20) and telefono VARCHAR(20) (plaintext) with
    // encrypted columns and blind indexes: see ADDED.
    branch_office: varchar(100),
    queue_type: varchar(20),
    status: varchar(20),
    position_in_queue: int(),
    estimated_wait_minutes: int(),
    assigned_advisor_id: { type: 'bigint', nullable: true, default: null },
    assigned_module_number: int(true),
    assigned_at: ts(),
    completed_at: ts(),
    actual_service_time_minutes: int(true),
    created_at: NOW,
    updated_at: NOW,
  },
  mensaje: {
    id: SERIAL,
    ticket_id: { type: 'bigint', nullable: false, default: null },
    plantilla: varchar(50),
    estado_envio: varchar(20),
    fecha_programada: ts(false),
    fecha_envio: ts(),
    telegram_message_id: varchar(50, true),
    intentos: { type: 'integer', nullable: false, default: ZERO },
    error_message: { type: 'text', nullable: true, default: null },
    created_at: NOW,
  },
  audit_log: {
    id: SERIAL,
    entity_type: varchar(50),
    entity_id: varchar(50),
    event_type: varchar(50),
    actor: varchar(100, true),
    old_state: json(),
    new_state: json(),
    additional_data: json(),
    ip_address: varchar(45, true),
    user_agent: varchar(500, true),
    created_at: NOW,
  },
};

/** The columns the SPEC adds on purpose, and nothing else. */
const ADDED: Record<string, Record<string, Expected>> = {
  advisor: {
    branch_office: { type: 'character varying', length: 100, nullable: false },
    telegram_user_id: { type: 'bigint', nullable: true, default: null },
    // The service floor (SPEC §12)
    pause_reason: varchar(100, true),
    // SPEC §17: a deactivated advisor keeps their history
    active: { type: 'boolean', nullable: false, default: /^true$/ },
  },
  ticket: {
    service_date: { type: 'date', nullable: false, default: null },
    // SPEC §14: RUT and phone encrypted (`v1:<key id>:…`) with HMAC blind indexes, all nullable (erasure).
    national_id_enc: { type: 'text', nullable: true, default: null },
    national_id_bidx: { type: 'bytea', nullable: true, default: null },
    telefono_enc: { type: 'text', nullable: true, default: null },
    telefono_bidx: { type: 'bytea', nullable: true, default: null },
    // The service floor (SPEC §12)
    service_started_at: ts(),
    recall_count: { type: 'integer', nullable: false, default: ZERO },
    last_called_at: ts(),
    queued_at: ts(false),
    atencion_preferente: varchar(20, true),
    reserved_advisor_id: { type: 'bigint', nullable: true, default: null },
    end_reason: varchar(100, true),
    rating: { type: 'smallint', nullable: true, default: null },
    rated_at: ts(),
    // SPEC §22: the chat that took the ticket in the bot owns it.
    chat_id: { type: 'bigint', nullable: true, default: null },
    // SPEC §17: the kiosk device whose token took it.
    device_id: { type: 'bigint', nullable: true, default: null },
  },
  mensaje: { datos: json(), esperas: { type: 'integer', nullable: false, default: ZERO } },
  audit_log: {},
};

async function columns(table: string): Promise<Map<string, ColumnRow>> {
  const rows = await db.query<ColumnRow>(
    `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable, column_default
       from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`,
    [table],
  );
  return new Map(rows.map((r) => [r.column_name, r]));
}

function expectColumn(table: string, name: string, actual: ColumnRow | undefined, expected: Expected): void {
  const where = `${table}.${name}`;
  expect(actual, `${where} exists`).toBeDefined();
  expect(actual!.data_type, `${where} type`).toBe(expected.type);
  if (expected.length !== undefined) expect(actual!.character_maximum_length, `${where} length`).toBe(expected.length);
  if (expected.precision) {
    expect([actual!.numeric_precision, actual!.numeric_scale], `${where} precision`).toEqual(expected.precision);
  }
  expect(actual!.is_nullable, `${where} nullability`).toBe(expected.nullable ? 'YES' : 'NO');
  if (expected.default === null) expect(actual!.column_default, `${where} has no default`).toBeNull();
  else if (expected.default) expect(actual!.column_default ?? '', `${where} default`).toMatch(expected.default);
}

/** Runs `sql` and returns the PostgreSQL error code it fails with (or 'none'). */
async function failure(sql: string, params: unknown[] = []): Promise<string> {
  try {
    await db.query(sql, params);
    return 'none';
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  }
}

const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';
const FK_VIOLATION = '23503';
const NOT_NULL_VIOLATION = '23502';

let ticketSeq = 0;
/** A stand-in for the app's HMAC blind index: these tests exercise the schema, not the keys. */
const blindIndex = (value: string): Buffer => createHash('sha256').update(value).digest();
/** Inserts a ticket with plain SQL (no service), returning its id. */
async function insertTicket(overrides: Record<string, unknown> = {}): Promise<number> {
  ticketSeq += 1;
  const row: Record<string, unknown> = {
    codigo_referencia: `00000000-0000-4000-8000-${String(ticketSeq).padStart(12, '0')}`,
    numero: `C${String(ticketSeq).padStart(2, '0')}`,
    national_id_bidx: blindIndex(`${10_000_000 + ticketSeq}-0`),
    branch_office: 'Sucursal Centro',
    queue_type: 'CAJA',
    status: 'EN_ESPERA',
    position_in_queue: 1,
    estimated_wait_minutes: 5,
    service_date: '2025-01-15',
    ...overrides,
  };
  const keys = Object.keys(row);
  const [inserted] = await db.query<{ id: string }>(
    `insert into ticket (${keys.join(', ')}) values (${keys.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
    keys.map((k) => row[k]),
  );
  return Number(inserted!.id);
}

describe('applying the migrations to an empty database', () => {
  it('applies every migration once, and nothing on a second run', async () => {
    expect(firstRun).toEqual(migrationsList.map((m) => m.name));
    expect(firstRun.slice(0, 2)).toEqual(['Migration20261129160749_initial_schema', 'Migration20261129160800_seed_advisors']);
    expect(await migrate(orm)).toEqual([]);
    const [{ n }] = (await db.query<{ n: number }>('select count(*)::int as n from advisor')) as [{ n: number }];
    expect(n).toBe(5);
  });

  it('leaves nothing for the entities to change (entities and migrations agree)', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });
});

describe('the seed tables, column for column', () => {
  it.each(Object.keys(SEED))('%s has every seed column with its type, length, nullability and default', async (table) => {
    const actual = await columns(table);
    for (const [name, expected] of Object.entries(SEED[table]!)) expectColumn(table, name, actual.get(name), expected);
  });

  it.each(Object.keys(SEED))('%s has no columns beyond the seed and the deliberate additions', async (table) => {
    const actual = await columns(table);
    for (const [name, expected] of Object.entries(ADDED[table]!)) expectColumn(table, name, actual.get(name), expected);
    expect([...actual.keys()].sort()).toEqual([...Object.keys(SEED[table]!), ...Object.keys(ADDED[table]!)].sort());
  });

  it('has primary keys on id', async () => {
    const rows = await db.query<{ table_name: string; column_name: string }>(
      `select tc.table_name, kcu.column_name from information_schema.table_constraints tc
         join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name and kcu.table_name = tc.table_name
        where tc.table_schema = 'public' and tc.constraint_type = 'PRIMARY KEY'
          and tc.table_name in ('advisor', 'ticket', 'mensaje', 'audit_log')`,
    );
    expect(rows.map((r) => `${r.table_name}.${r.column_name}`).sort()).toEqual([
      'advisor.id',
      // audit_log is partitioned by month (SPEC §16): PostgreSQL requires the partition key in the key.
      'audit_log.created_at',
      'audit_log.id',
      'mensaje.id',
      'ticket.id',
    ]);
  });

  it('keeps audit_log_archive the same shape as audit_log, so INSERT … SELECT * works', async () => {
    const shape = async (table: string) =>
      [...(await columns(table)).values()].map((c) => ({
        name: c.column_name,
        type: c.data_type,
        length: c.character_maximum_length,
        nullable: c.is_nullable,
      }));
    expect(await shape('audit_log_archive')).toEqual(await shape('audit_log'));

    await db.query(
      `insert into audit_log (entity_type, entity_id, event_type, actor, new_state, created_at)
       values ('TICKET', '1', 'TICKET_CREADO', 'SYSTEM', '{"numero":"C01"}', now() - interval '400 days')`,
    );
    await db.query(`insert into audit_log_archive select * from audit_log where created_at < now() - interval '1 year'`);
    const archived = await db.query<{ event_type: string; new_state: unknown }>('select event_type, new_state from audit_log_archive');
    expect(archived).toEqual([{ event_type: 'TICKET_CREADO', new_state: { numero: 'C01' } }]);
    await db.query('delete from audit_log_archive');
    await db.query('delete from audit_log');
  });
});

describe('CHECK constraints', () => {
  const advisor = (status: string, module: number) =>
    failure(
      `insert into advisor (name, email, status, module_number, queue_types) values ('X', $1, $2, $3, '["CAJA"]')`,
      [`check-${status}-${module}@banco.com`, status, module],
    );

  it('advisor.status accepts AVAILABLE, BUSY and OFFLINE only', async () => {
    expect(await advisor('VACATION', 1)).toBe(CHECK_VIOLATION);
    expect(await advisor('available', 1)).toBe(CHECK_VIOLATION);
    // Modules of their own: a module is unique among a branch's active advisors (SPEC §17).
    for (const [i, status] of ['AVAILABLE', 'BUSY', 'OFFLINE'].entries()) expect(await advisor(status, 61 + i)).toBe('none');
    await db.query(`delete from advisor where email like 'check-%'`);
  });

  it('advisor.module_number is 1 to 99 (SPEC §17: a real branch has more than the seed\'s five)', async () => {
    expect(await advisor('AVAILABLE', 100)).toBe(CHECK_VIOLATION);
    expect(await advisor('AVAILABLE', 0)).toBe(CHECK_VIOLATION);
    expect(await advisor('AVAILABLE', 99)).toBe('none');
    await db.query(`delete from advisor where email like 'check-%'`);
  });

  it('a module is unique among the active advisors of a branch; an inactive advisor is OFFLINE and frees it; emails are unique without regard to case', async () => {
    // Module 1 of the default branch is the seed's Carlos Rodríguez.
    expect(await advisor('AVAILABLE', 1)).toBe(UNIQUE_VIOLATION);
    expect(
      await failure(
        `insert into advisor (name, email, status, module_number, queue_types, active) values ('X', 'check-inactive@banco.com', 'AVAILABLE', 1, '["CAJA"]', false)`,
      ),
    ).toBe(CHECK_VIOLATION);
    expect(
      await failure(
        `insert into advisor (name, email, status, module_number, queue_types, active) values ('X', 'check-inactive@banco.com', 'OFFLINE', 1, '["CAJA"]', false)`,
      ),
    ).toBe('none');
    expect(
      await failure(`insert into advisor (name, email, status, module_number, queue_types) values ('X', 'Maria.Gonzalez@Banco.com', 'OFFLINE', 40, '[]')`),
    ).toBe(UNIQUE_VIOLATION);
    await db.query(`delete from advisor where email like 'check-%'`);
  });

  it('ticket.status, queue_type and assigned_module_number take only their listed values', async () => {
    const bad = async (overrides: Record<string, unknown>) => {
      try {
        await insertTicket(overrides);
        return 'none';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(await bad({ status: 'PERDIDO' })).toBe(CHECK_VIOLATION);
    expect(await bad({ status: 'en_espera' })).toBe(CHECK_VIOLATION);
    expect(await bad({ queue_type: 'VIP' })).toBe(CHECK_VIOLATION);
    expect(await bad({ assigned_module_number: 100 })).toBe(CHECK_VIOLATION);
    expect(await bad({ assigned_module_number: 0 })).toBe(CHECK_VIOLATION);
    expect(await bad({ numero: null })).toBe(NOT_NULL_VIOLATION);
    for (const status of ['EN_ESPERA', 'PROXIMO', 'ATENDIENDO', 'COMPLETADO', 'CANCELADO', 'NO_ATENDIDO']) {
      expect(await bad({ status, national_id_bidx: blindIndex(`status-${status}`) })).toBe('none');
    }
    await db.query('delete from ticket');
  });

  it('mensaje.plantilla takes the upper-case templates and estado_envio PENDIENTE|ENVIADO|FALLIDO', async () => {
    const ticketId = await insertTicket();
    const mensaje = (plantilla: string, estado: string) =>
      failure(`insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada) values ($1, $2, $3, now())`, [
        ticketId,
        plantilla,
        estado,
      ]);
    expect(await mensaje('totem_ticket_creado', 'PENDIENTE')).toBe(CHECK_VIOLATION);
    expect(await mensaje('OTRA_PLANTILLA', 'PENDIENTE')).toBe(CHECK_VIOLATION);
    expect(await mensaje('TOTEM_TICKET_CREADO', 'ENVIANDO')).toBe(CHECK_VIOLATION);
    for (const plantilla of ['TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO']) {
      for (const estado of ['PENDIENTE', 'ENVIADO', 'FALLIDO']) expect(await mensaje(plantilla, estado)).toBe('none');
    }
    const [{ intentos }] = (await db.query<{ intentos: number }>('select min(intentos) as intentos from mensaje')) as [
      { intentos: number },
    ];
    expect(intentos).toBe(0);
    await db.query('delete from ticket');
  });

  it('advisor.email is unique', async () => {
    expect(
      await failure(
        `insert into advisor (name, email, status, module_number, queue_types) values ('Otra', 'maria.gonzalez@banco.com', 'AVAILABLE', 1, '[]')`,
      ),
    ).toBe(UNIQUE_VIOLATION);
  });

  it('ticket.codigo_referencia is unique', async () => {
    await insertTicket({ codigo_referencia: '11111111-1111-4111-8111-111111111111' });
    expect(
      await insertTicket({ codigo_referencia: '11111111-1111-4111-8111-111111111111' }).then(
        () => 'none',
        (e: { code?: string }) => e.code,
      ),
    ).toBe(UNIQUE_VIOLATION);
    await db.query('delete from ticket');
  });
});

describe('foreign keys', () => {
  interface FkRow {
    table: string;
    column: string;
    ref_table: string;
    ref_column: string;
    on_delete: string;
  }

  it('ticket.assigned_advisor_id → advisor(id) and mensaje.ticket_id → ticket(id) ON DELETE CASCADE', async () => {
    const rows = await db.query<FkRow>(
      `select c.conrelid::regclass::text as table, a.attname as column, c.confrelid::regclass::text as ref_table,
              af.attname as ref_column, c.confdeltype as on_delete
         from pg_constraint c
         join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
         join pg_attribute af on af.attrelid = c.confrelid and af.attnum = c.confkey[1]
        where c.contype = 'f' and c.conrelid in ('advisor'::regclass, 'ticket'::regclass, 'mensaje'::regclass, 'audit_log'::regclass)
        order by 1, 2`,
    );
    expect(rows).toEqual([
      { table: 'mensaje', column: 'ticket_id', ref_table: 'ticket', ref_column: 'id', on_delete: 'c' },
      { table: 'ticket', column: 'assigned_advisor_id', ref_table: 'advisor', ref_column: 'id', on_delete: 'a' },
      // SPEC §17: the device that took it (devices are revoked, never deleted).
      { table: 'ticket', column: 'device_id', ref_table: 'device', ref_column: 'id', on_delete: 'n' },
      // The service floor (SPEC §12): a transfer to a named advisor.
      { table: 'ticket', column: 'reserved_advisor_id', ref_table: 'advisor', ref_column: 'id', on_delete: 'n' },
    ]);
  });

  it('refuses a ticket assigned to an advisor that does not exist, and an advisor that still has tickets cannot be deleted', async () => {
    await expect(insertTicket({ assigned_advisor_id: 999_999 })).rejects.toMatchObject({ code: FK_VIOLATION });
    const [advisor] = await db.query<{ id: string }>(`select id from advisor where email = 'ana.martinez@banco.com'`);
    await insertTicket({ assigned_advisor_id: advisor!.id, status: 'COMPLETADO' });
    expect(await failure('delete from advisor where id = $1', [advisor!.id])).toBe(FK_VIOLATION);
    await db.query('delete from ticket');
  });

  it('refuses a message for a ticket that does not exist', async () => {
    expect(
      await failure(
        `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada) values (999999, 'TOTEM_TICKET_CREADO', 'PENDIENTE', now())`,
      ),
    ).toBe(FK_VIOLATION);
  });

  it('deletes a ticket’s messages with the ticket', async () => {
    const doomed = await insertTicket();
    const kept = await insertTicket();
    for (const ticketId of [doomed, kept]) {
      await db.query(
        `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada)
         select $1, p, 'PENDIENTE', now() from unnest(array['TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO']) p`,
        [ticketId],
      );
    }
    await db.query('delete from ticket where id = $1', [doomed]);
    const left = await db.query<{ ticket_id: string; n: number }>(
      'select ticket_id, count(*)::int as n from mensaje group by ticket_id',
    );
    expect(left).toEqual([{ ticket_id: String(kept), n: 3 }]);
    await db.query('delete from ticket');
  });
});

describe('indexes', () => {
  /** Every index the seed (and SPEC §3) lists: name → table and the column list PostgreSQL reports. */
  const SEED_INDEXES: Record<string, [table: string, columns: string]> = {
    idx_advisor_status: ['advisor', 'status'],
    idx_advisor_module: ['advisor', 'module_number'],
    idx_advisor_workload: ['advisor', 'workload_minutes'],
    idx_advisor_last_assigned: ['advisor', 'last_assigned_at'],
    idx_ticket_status: ['ticket', 'status'],
    // SPEC §14: the seed's index on national_id is on its blind index now.
    idx_ticket_national_id_bidx: ['ticket', 'national_id_bidx'],
    idx_ticket_queue_type: ['ticket', 'queue_type'],
    idx_ticket_created_at: ['ticket', 'created_at DESC'],
    idx_ticket_assigned_advisor: ['ticket', 'assigned_advisor_id'],
    idx_ticket_position: ['ticket', 'position_in_queue'],
    idx_ticket_queue_status: ['ticket', 'queue_type, status'],
    idx_mensaje_ticket_id: ['mensaje', 'ticket_id'],
    idx_mensaje_estado_fecha: ['mensaje', 'estado_envio, fecha_programada'],
    idx_mensaje_plantilla: ['mensaje', 'plantilla'],
    idx_mensaje_intentos: ['mensaje', 'intentos'],
    idx_audit_entity: ['audit_log', 'entity_type, entity_id'],
    idx_audit_event_type: ['audit_log', 'event_type'],
    idx_audit_created_at: ['audit_log', 'created_at DESC'],
    idx_audit_actor: ['audit_log', 'actor'],
  };

  let indexes: Map<string, { tablename: string; indexdef: string }>;
  beforeAll(async () => {
    const rows = await db.query<{ indexname: string; tablename: string; indexdef: string }>(
      `select indexname, tablename, indexdef from pg_indexes where schemaname = 'public'`,
    );
    indexes = new Map(rows.map((r) => [r.indexname, r]));
  });

  it.each(Object.entries(SEED_INDEXES))('has %s on %j', (name, [table, cols]) => {
    const index = indexes.get(name);
    expect(index, name).toBeDefined();
    expect(index!.tablename).toBe(table);
    // On the partitioned audit_log (SPEC §16) each index is the parent of one per partition: "ON ONLY".
    const only = table === 'audit_log' ? 'ONLY ' : '';
    expect(index!.indexdef).toBe(`CREATE INDEX ${name} ON ${only}public.${table} USING btree (${cols})`);
  });

  it('has idx_ticket_completed_at, which the estimator’s service statistics can reach their weeks through', async () => {
    expect(indexes.get('idx_ticket_completed_at')?.indexdef).toBe(
      `CREATE INDEX idx_ticket_completed_at ON public.ticket USING btree (completed_at) WHERE ((status)::text = 'COMPLETADO'::text)`,
    );
    // The statistics' query as the estimator sends it (one branch and all), with its placeholders filled in.
    const literals = (sql: string, values: string[]) => sql.replace(/\?/g, () => `'${values.shift()}'`);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('begin');
      // The test's table is nearly empty: scans would win on cost; what is checked is that the query matches the index.
      await client.query('set local enable_seqscan = off');
      await client.query('set local enable_bitmapscan = off');
      for (const one of [true, false]) {
        const sql = literals(serviceStatsSql(one), ['2026-11-06 00:00:00', 'Sucursal Centro']);
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${sql}`);
        expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('idx_ticket_completed_at');
      }
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });

  it('has no global unique constraint on ticket.numero', async () => {
    const rows = await db.query<{ name: string }>(
      `select i.indexrelid::regclass::text as name from pg_index i
        where i.indrelid = 'ticket'::regclass and i.indisunique and i.indnatts = 1
          and i.indkey[0] = (select attnum from pg_attribute where attrelid = 'ticket'::regclass and attname = 'numero')`,
    );
    expect(rows).toEqual([]);
  });

  it('makes numero unique per (branch_office, service_date, numero) instead', async () => {
    const rows = await db.query<{ def: string }>(
      `select pg_get_indexdef(i.indexrelid) as def from pg_index i
        where i.indrelid = 'ticket'::regclass and i.indisunique and i.indpred is null`,
    );
    expect(rows.map((r) => r.def)).toContainEqual(expect.stringMatching(/\(branch_office, service_date, numero\)$/));

    await insertTicket({ numero: 'C01', service_date: '2025-01-15' });
    await insertTicket({ numero: 'C01', service_date: '2025-01-16' });
    await db.query(`insert into branch (code, name, timezone) values ('NORTE', 'Sucursal Norte', 'America/Santiago') on conflict do nothing`);
    await insertTicket({ numero: 'C01', service_date: '2025-01-15', branch_office: 'Sucursal Norte' });
    await expect(insertTicket({ numero: 'C01', service_date: '2025-01-15' })).rejects.toMatchObject({ code: UNIQUE_VIOLATION });
    await db.query('delete from ticket');
  });

  it('has the partial unique index uq_ticket_active_national_id_bidx over the active statuses', () => {
    const index = indexes.get('uq_ticket_active_national_id_bidx');
    expect(index?.tablename).toBe('ticket');
    expect(index!.indexdef).toMatch(
      /^CREATE UNIQUE INDEX uq_ticket_active_national_id_bidx ON public\.ticket USING btree \(national_id_bidx\) WHERE/,
    );
    const predicate = index!.indexdef.replace(/^.*WHERE/, '');
    for (const status of ['EN_ESPERA', 'PROXIMO', 'ATENDIENDO']) expect(predicate).toContain(`'${status}'`);
    for (const status of ['COMPLETADO', 'CANCELADO', 'NO_ATENDIDO']) expect(predicate).not.toContain(`'${status}'`);
  });
});

describe('one active ticket per RUT, enforced by the database', () => {
  it('has the partial unique index uq_ticket_active_chat: one active ticket per chat (SPEC §22)', async () => {
    const [index] = await db.query<{ indexdef: string }>(`select indexdef from pg_indexes where indexname = 'uq_ticket_active_chat'`);
    expect(index?.indexdef).toMatch(/UNIQUE INDEX uq_ticket_active_chat ON public\.ticket USING btree \(chat_id\) WHERE/);
    expect(index?.indexdef).toContain('EN_ESPERA');
  });

  it('rejects a second active ticket for the same RUT (blind index) inserted with plain SQL', async () => {
    const rut = blindIndex('12345678-5');
    const first = await insertTicket({ national_id_bidx: rut, status: 'EN_ESPERA' });
    for (const status of ['EN_ESPERA', 'PROXIMO', 'ATENDIENDO']) {
      await expect(insertTicket({ national_id_bidx: rut, status })).rejects.toMatchObject({
        code: UNIQUE_VIOLATION,
        constraint: 'uq_ticket_active_national_id_bidx',
      });
    }
    await db.query(`update ticket set status = 'COMPLETADO', completed_at = now() where id = $1`, [first]);
    await insertTicket({ national_id_bidx: rut, status: 'EN_ESPERA' });
    const rows = await db.query<{ status: string }>(`select status from ticket where national_id_bidx = $1 order by id`, [rut]);
    expect(rows.map((r) => r.status)).toEqual(['COMPLETADO', 'EN_ESPERA']);
    await db.query('delete from ticket');
  });

  it('allows any number of finished tickets for one RUT', async () => {
    const rut = blindIndex('10000013-K');
    for (const status of ['COMPLETADO', 'CANCELADO', 'NO_ATENDIDO', 'COMPLETADO', 'CANCELADO']) {
      await insertTicket({ national_id_bidx: rut, status });
    }
    await insertTicket({ national_id_bidx: rut, status: 'ATENDIENDO' });
    await expect(
      db.query(`update ticket set status = 'PROXIMO' where national_id_bidx = $1 and status = 'CANCELADO'`, [rut]),
    ).rejects.toMatchObject({ code: UNIQUE_VIOLATION });
    await db.query('delete from ticket');
  });
});

describe('the deliberate additions', () => {
  it('advisor.branch_office defaults to the branch and the seed advisors are in it', async () => {
    const actual = await columns('advisor');
    expect(actual.get('branch_office')!.column_default).toMatch(/Sucursal Centro/);
    const rows = await db.query<{ branch_office: string }>('select distinct branch_office from advisor');
    expect(rows).toEqual([{ branch_office: 'Sucursal Centro' }]);
  });

  it('advisor.telegram_user_id is a unique, nullable bigint', async () => {
    const ids = await db.query<{ id: string }>('select id from advisor order by id limit 2');
    // Several advisors may have no Telegram account …
    const [{ unlinked }] = (await db.query<{ unlinked: number }>(
      'select count(*)::int as unlinked from advisor where telegram_user_id is null',
    )) as [{ unlinked: number }];
    expect(unlinked).toBe(5);
    // … ids beyond 2^31 fit …
    await db.query('update advisor set telegram_user_id = 9007199254740 where id = $1', [ids[0]!.id]);
    // … and one account links to one advisor only.
    expect(await failure('update advisor set telegram_user_id = 9007199254740 where id = $1', [ids[1]!.id])).toBe(UNIQUE_VIOLATION);
    await db.query('update advisor set telegram_user_id = null');
  });

  it('has telegram_customer linking a chat to a RUT and phone', async () => {
    const actual = await columns('telegram_customer');
    expectColumn('telegram_customer', 'chat_id', actual.get('chat_id'), { type: 'bigint', nullable: false });
    // SPEC §14: encrypted, with blind indexes; no plaintext column.
    for (const name of ['national_id_enc', 'phone_enc']) expectColumn('telegram_customer', name, actual.get(name), { type: 'text', nullable: true });
    for (const name of ['national_id_bidx', 'phone_bidx']) expectColumn('telegram_customer', name, actual.get(name), { type: 'bytea', nullable: true });
    expect(actual.has('national_id') || actual.has('phone')).toBe(false);
    expect(actual.has('name')).toBe(true);
    expectColumn('telegram_customer', 'created_at', actual.get('created_at'), NOW);
    expectColumn('telegram_customer', 'updated_at', actual.get('updated_at'), NOW);

    const rut = blindIndex('12345678-5');
    await db.query(`insert into telegram_customer (chat_id, national_id_bidx, phone_bidx) values (7000000001, $1, $2)`, [
      rut,
      blindIndex('+56912345678'),
    ]);
    expect(await failure(`insert into telegram_customer (chat_id) values (7000000001)`)).toBe(UNIQUE_VIOLATION);
    // SPEC §22: a RUT is a claim, so another chat may give the same one (nothing moves between them).
    await db.query(`insert into telegram_customer (chat_id, national_id_bidx) values (7000000002, $1)`, [rut]);
    await db.query('delete from telegram_customer');
  });

  it('has ticket_daily_counter keyed by branch, day and queue', async () => {
    const actual = await columns('ticket_daily_counter');
    expectColumn('ticket_daily_counter', 'branch_office', actual.get('branch_office'), { type: 'character varying', length: 100, nullable: false });
    expectColumn('ticket_daily_counter', 'service_date', actual.get('service_date'), { type: 'date', nullable: false });
    expectColumn('ticket_daily_counter', 'queue_type', actual.get('queue_type'), { type: 'character varying', length: 20, nullable: false });
    expectColumn('ticket_daily_counter', 'last_number', actual.get('last_number'), { type: 'integer', nullable: false });

    const insert = `insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number) values ('Sucursal Centro', '2025-01-15', $1, 1)`;
    expect(await failure(insert, ['CAJA'])).toBe('none');
    expect(await failure(insert, ['CAJA'])).toBe(UNIQUE_VIOLATION);
    expect(await failure(insert, ['PERSONAL_BANKER'])).toBe('none');
    expect(await failure(insert, ['VIP'])).toBe(CHECK_VIOLATION);
    await db.query('delete from ticket_daily_counter');
  });
});

describe('the five seed advisors', () => {
  it('are exactly those of SPEC §3, all AVAILABLE, with emails nombre.apellido@banco.com', async () => {
    const rows = await db.query<{ name: string; email: string; module_number: number; queue_types: unknown; status: string }>(
      'select name, email, module_number, queue_types, status from advisor order by id',
    );
    expect(rows).toEqual([
      { name: 'María González', email: 'maria.gonzalez@banco.com', module_number: 3, queue_types: ['PERSONAL_BANKER', 'CAJA'], status: 'AVAILABLE' },
      { name: 'Carlos Rodríguez', email: 'carlos.rodriguez@banco.com', module_number: 1, queue_types: ['CAJA', 'PERSONAL_BANKER'], status: 'AVAILABLE' },
      { name: 'Ana Martínez', email: 'ana.martinez@banco.com', module_number: 5, queue_types: ['EMPRESAS', 'GERENCIA'], status: 'AVAILABLE' },
      { name: 'Luis Pérez', email: 'luis.perez@banco.com', module_number: 2, queue_types: ['CAJA', 'PERSONAL_BANKER'], status: 'AVAILABLE' },
      {
        name: 'Carmen Silva',
        email: 'carmen.silva@banco.com',
        module_number: 4,
        queue_types: ['EMPRESAS', 'GERENCIA', 'PERSONAL_BANKER'],
        status: 'AVAILABLE',
      },
    ]);
  });

  it('start with zero load and no assignment', async () => {
    const rows = await db.query<Record<string, unknown>>(
      `select assigned_tickets_count, workload_minutes, average_service_time_minutes::float8 as avg,
              total_tickets_served_today, last_assigned_at, telegram_user_id from advisor`,
    );
    for (const row of rows) {
      expect(row).toEqual({
        assigned_tickets_count: 0,
        workload_minutes: 0,
        avg: 0,
        total_tickets_served_today: 0,
        last_assigned_at: null,
        telegram_user_id: null,
      });
    }
  });
});
