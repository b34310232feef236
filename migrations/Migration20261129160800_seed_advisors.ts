import { Migration } from '@mikro-orm/migrations';

/** The five advisors of the seed, all AVAILABLE, in the branch named by BRANCH_OFFICE. */
const SEED_ADVISORS: ReadonlyArray<[name: string, email: string, module: number, queues: string[]]> = [
  ['María González', 'maria.gonzalez@banco.com', 3, ['PERSONAL_BANKER', 'CAJA']],
  ['Carlos Rodríguez', 'carlos.rodriguez@banco.com', 1, ['CAJA', 'PERSONAL_BANKER']],
  ['Ana Martínez', 'ana.martinez@banco.com', 5, ['EMPRESAS', 'GERENCIA']],
  ['Luis Pérez', 'luis.perez@banco.com', 2, ['CAJA', 'PERSONAL_BANKER']],
  ['Carmen Silva', 'carmen.silva@banco.com', 4, ['EMPRESAS', 'GERENCIA', 'PERSONAL_BANKER']],
];

export class Migration20261129160800_seed_advisors extends Migration {
  override async up(): Promise<void> {
    const branch = process.env.BRANCH_OFFICE?.trim() || 'Sucursal Centro';
    for (const [name, email, module, queues] of SEED_ADVISORS) {
      this.addSql(
        this.getKnex()
          .raw(
            `insert into advisor (name, email, status, module_number, queue_types, branch_office)
             values (?, ?, 'AVAILABLE', ?, ?::json, ?) on conflict (email) do nothing`,
            [name, email, module, JSON.stringify(queues), branch],
          )
          .toQuery(),
      );
    }
  }

  override async down(): Promise<void> {
    this.addSql(
      this.getKnex()
        .raw('delete from advisor where email in (?)', [SEED_ADVISORS.map(([, email]) => email)])
        .toQuery(),
    );
  }
}
