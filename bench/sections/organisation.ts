/**
 * The organisation as data at a bank's size (SPEC §17): the bulk import of 1,000 branches and
 * 5,000 people (target < 30 s, one transaction, through the same ImportService as `npm run import`
 * and POST /api/admin/import), the same files again (must change nothing), on a scratch database.
 */
import type { Section } from '../support/context.js';
import { fixed } from '../support/format.js';
import { openServices, timed } from '../support/scale.js';
import { branchesCsv, staffCsv } from '../../test/support/org-files.js';

const BRANCHES = 1000;
const PEOPLE_PER_BRANCH = 5;
const MAX_IMPORT_SECONDS = 30;

export const organisationBench: Section = {
  id: 'organisation',
  title: 'organisation: bulk import (1,000 branches + 5,000 people)',
  async run(context) {
    const database = await context.scratchDatabase('org');
    const { services, close } = openServices(database.url, context.config, { poolMax: 4, personalData: context.app.personalData });
    try {
      const branches = branchesCsv(BRANCHES);
      const staff = staffCsv(BRANCHES, PEOPLE_PER_BRANCH);
      context.log(`files: ${BRANCHES} branches (${fixed(branches.length / 1024, 0)} KB), ${BRANCHES * PEOPLE_PER_BRANCH} people (${fixed(staff.length / 1024, 0)} KB)`);
      const origin = { actor: 'SYSTEM' as const };
      const dry = await timed(() => services.imports.run({ branches, staff, dryRun: true, deactivateMissing: false, origin }));
      const first = await timed(() => services.imports.run({ branches, staff, dryRun: false, deactivateMissing: false, origin }));
      const second = await timed(() => services.imports.run({ branches, staff, dryRun: false, deactivateMissing: false, origin }));
      const r = first.result;
      context.log(`  first run: ${r.sucursales.crear} branches and ${r.personal.crear} people created, ${r.errores.length} bad lines`);
      context.log(`  second run: ${second.result.sucursales.sinCambios} branches and ${second.result.personal.sinCambios} people unchanged, applied=${second.result.aplicada}`);
      const imported = r.aplicada && r.sucursales.crear === BRANCHES && r.personal.crear === BRANCHES * PEOPLE_PER_BRANCH;
      const unchanged = !second.result.aplicada && second.result.sucursales.sinCambios === BRANCHES && second.result.personal.sinCambios === BRANCHES * PEOPLE_PER_BRANCH;
      return [
        { metric: 'dry run (validate everything, write nothing)', value: `${fixed(dry.ms / 1000, 2)} s` },
        {
          metric: `import ${BRANCHES} branches + ${BRANCHES * PEOPLE_PER_BRANCH} people (one transaction)`,
          value: `${fixed(first.ms / 1000, 2)} s${imported ? '' : ' (INCOMPLETE)'}`,
          target: `< ${MAX_IMPORT_SECONDS} s`,
          met: imported && first.ms < MAX_IMPORT_SECONDS * 1000,
        },
        { metric: 'the same files again (changes nothing)', value: `${fixed(second.ms / 1000, 2)} s${unchanged ? '' : ' (CHANGED SOMETHING)'}`, met: unchanged },
      ];
    } finally {
      await close();
    }
  },
};
