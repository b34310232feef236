/**
 * A bank's organisation as CSV files for the bulk import (SPEC §17): `branches` branch lines and
 * `perBranch` advisors in each, deterministic, with Chilean names (accents, ñ) and the three time
 * zones. Used by the import test and the `import` bench section.
 */
const REGIONS = ['Metropolitana', 'Valparaíso', 'Biobío', 'Ñuble', 'Magallanes', 'Los Ríos'];
const COMUNAS = ['Ñuñoa', 'Providencia', 'Maipú', 'Concepción', 'Viña del Mar', 'Punta Arenas', 'Valdivia', 'Chillán'];
const ZONES = ['America/Santiago', 'America/Santiago', 'America/Santiago', 'America/Punta_Arenas', 'Pacific/Easter'];
const HOURS = ['L-V 09:00-14:00', 'L-V 09:00-13:00,15:00-17:00; S 10:00-13:00', 'L-J 09:00-14:00; V 09:00-13:30'];
const QUEUES = ['CAJA|PERSONAL_BANKER|EMPRESAS|GERENCIA', 'CAJA|PERSONAL_BANKER', 'CAJA|PERSONAL_BANKER|EMPRESAS'];

export const branchCode = (i: number): string => `SUC-${String(i).padStart(4, '0')}`;

export function branchesCsv(count: number, { separator = ',', offset = 0 }: { separator?: ',' | ';'; offset?: number } = {}): string {
  const quote = (value: string): string => (/[",;\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [['code', 'name', 'region', 'comuna', 'address', 'latitude', 'longitude', 'timezone', 'hours', 'queues'].join(separator)];
  for (let n = offset + 1; n <= offset + count; n++) {
    const comuna = COMUNAS[n % COMUNAS.length]!;
    lines.push(
      [
        branchCode(n),
        `Sucursal ${comuna} ${n}`,
        REGIONS[n % REGIONS.length]!,
        comuna,
        `Av. Libertador B. O'Higgins ${100 + n}`,
        (-18 - (n % 380) / 10).toFixed(4),
        (-70.6 - (n % 17) / 100).toFixed(4),
        ZONES[n % ZONES.length]!,
        HOURS[n % HOURS.length]!,
        QUEUES[n % QUEUES.length]!,
      ]
        .map(quote)
        .join(separator),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function staffCsv(branches: number, perBranch: number, { offset = 0 }: { offset?: number } = {}): string {
  const lines = ['email,name,branch_code,module_number,queues,role'];
  for (let b = offset + 1; b <= offset + branches; b++) {
    for (let m = 1; m <= perBranch; m++) {
      lines.push(`asesor.${b}.${m}@banco.cl,Asesora Muñoz ${b}-${m},${branchCode(b)},${m},${m % 2 ? 'CAJA' : 'CAJA|PERSONAL_BANKER'},ASESOR`);
    }
  }
  return `${lines.join('\n')}\n`;
}
