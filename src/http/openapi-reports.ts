import { QUEUE_TYPES } from '../domain/queue-types.js';

/** SPEC §20: the reports, as OpenAPI paths (merged into src/http/openapi.ts). */

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const security = [{ admin: [] }, { session: [] }];
const denied = {
  '400': errorRef('VALIDACION_FALLIDA; campos nombra cada parámetro malo (branch desconocida, from/to no son fechas reales, from > to, un rango de más de 1098 días, groupBy, queue, metric)'),
  '401': errorRef('Sin sesión ni credencial (NO_AUTORIZADO)'),
  '403': errorRef('ROL_NO_AUTORIZADO, o SUCURSAL_NO_AUTORIZADA (un SUPERVISOR fuera de sus sucursales)'),
};
const date = (name: string, description: string) => ({ name, in: 'query', required: true, description, schema: { type: 'string', format: 'date' } });
const branch = { name: 'branch', in: 'query', required: true, description: 'Código (o nombre) de la sucursal', schema: { type: 'string' } };
const format = {
  name: 'format', in: 'query', required: false,
  description: 'json (por omisión); csv (UTF-8 con BOM, separador ; y coma decimal, en flujo) o xlsx (exceljs, celdas numéricas)',
  schema: { enum: ['json', 'csv', 'xlsx'] },
};
const num = { type: ['number', 'null'] };
const group = {
  type: 'object',
  required: ['key', 'arrived', 'served', 'servedPct', 'noShowPct', 'abandonmentPct', 'waitMean', 'waitP50', 'waitP90', 'serviceLevelPct', 'serviceMean', 'perAdvisorHour', 'utilisationPct', 'ratingMean'],
  properties: {
    key: { type: 'string', description: 'día AAAA-MM-DD, semana AAAA-Www, mes AAAA-MM, día ISO 1–7, hora HH:00, periodo HH:MM, o id del asesor' },
    arrived: num, served: num, servedPct: num, noShowPct: num, abandonmentPct: num,
    waitMean: { ...num, description: 'minutos' }, waitP50: { ...num, description: 'minutos enteros (121 = más de 120), exacto desde los histogramas sumados' },
    waitP90: num, serviceLevelPct: num, serviceMean: { ...num, description: 'minutos' }, perAdvisorHour: num, utilisationPct: num, ratingMean: num,
    advisorName: { type: ['string', 'null'], description: 'solo con by=advisor' },
  },
};
const branchReport = {
  type: 'object',
  required: ['branch', 'from', 'to', 'groupBy', 'groups'],
  properties: { branch: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, groupBy: { type: 'string' }, groups: { type: 'array', items: group }, total: { description: 'Todo el rango como un grupo (clave total; percentiles exactos de los buckets sumados); no en by=advisor ni intraday', anyOf: [group, { type: 'null' }] } },
};
const limits = { type: ['array', 'null'], items: { type: 'number' }, minItems: 2, maxItems: 2 };

export function reportPaths() {
  return {
    '/api/admin/reports/branch': {
      get: {
        summary: 'Informe de una sucursal por día, semana, mes, día de la semana u hora (o por asesor), desde los rollups (3 años)',
        security,
        parameters: [
          branch, date('from', 'Primer día de servicio'), date('to', 'Último día de servicio (rango de hasta 1098 días)'),
          { name: 'groupBy', in: 'query', required: false, description: 'weekdayHour: clave `1-09:00` (día ISO y hora de la sucursal), el mapa de calor de llegadas', schema: { enum: ['day', 'week', 'month', 'weekday', 'hour', 'weekdayHour'], default: 'day' } },
          { name: 'queue', in: 'query', required: false, schema: { enum: [...QUEUE_TYPES] } },
          { name: 'by', in: 'query', required: false, schema: { enum: ['advisor'] } },
          format,
        ],
        responses: { '200': { description: '{branch, from, to, groupBy, groups}', content: { 'application/json': { schema: branchReport } } }, ...denied },
      },
    },
    '/api/admin/reports/intraday': {
      get: {
        summary: 'Un día de una sucursal en periodos de 30 minutos de su hora local',
        security,
        parameters: [branch, date('date', 'Día de servicio'), format],
        responses: { '200': { description: 'Como el informe de sucursal, groupBy "period"', content: { 'application/json': { schema: branchReport } } }, ...denied },
      },
    },
    '/api/admin/reports/national': {
      get: {
        summary: 'Cada sucursal con su volumen y métrica, totales ponderados por volumen y límites del funnel plot (95 % y 99,8 %)',
        security,
        parameters: [
          date('from', 'Primer día'), date('to', 'Último día'),
          { name: 'metric', in: 'query', required: true, schema: { enum: ['service_level', 'wait_p90', 'no_show'] } },
          { name: 'region', in: 'query', required: false, schema: { type: 'string' } },
          format,
          { name: 'detail', in: 'query', required: false, description: 'day: cada sucursal por día, solo con format=csv (en flujo; metric no se usa)', schema: { enum: ['day'] } },
        ],
        responses: {
          '200': {
            description: '{metric, from, to, national: {volume, value}, branches: [{code, name, region, volume, value, limits: {p95, p998}}]}',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    metric: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
                    national: { type: 'object', properties: { volume: { type: 'integer' }, value: num } },
                    branches: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          code: { type: 'string' }, name: { type: 'string' }, region: { type: ['string', 'null'] }, volume: { type: 'integer' }, value: num,
                          limits: { type: 'object', properties: { p95: limits, p998: limits } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...denied,
        },
      },
    },
  };
}
