import { QUEUE_TYPES } from '../domain/queue-types.js';

/** SPEC §17: branches, staff and the bulk import, as OpenAPI paths (merged into src/http/openapi.ts). */

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const security = [{ admin: [] }, { session: [] }];
const denied = {
  '401': errorRef('Sin sesión ni credencial (NO_AUTORIZADO)'),
  '403': errorRef('ROL_NO_AUTORIZADO (solo ADMIN gestiona sucursales e importa), SUCURSAL_NO_AUTORIZADA (un SUPERVISOR fuera de sus sucursales), ORIGEN_NO_PERMITIDO (CSRF)'),
};
const body = (schema: Record<string, unknown>) => ({ required: true, content: { 'application/json': { schema } } });
const hhmm = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' };
const period = { type: 'object', additionalProperties: false, required: ['opens', 'closes'], properties: { opens: hhmm, closes: { type: 'string', description: 'HH:MM, hasta 24:00' } } };
const hours = {
  description: 'Por día ISO ("1" lunes … "7" domingo) sus periodos; o como texto: "L-V 09:00-13:00,15:00-17:00; S 10:00-13:00". null: sin horario (abierta todo el día)',
  oneOf: [
    { type: 'object', additionalProperties: false, patternProperties: { '^[1-7]$': { type: 'array', items: period } } },
    { type: 'string', examples: ['L-V 09:00-14:00; S 10:00-13:00'] },
    { type: 'null' },
  ],
};
const queues = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['queueType'],
    properties: { queueType: { enum: [...QUEUE_TYPES] }, averageServiceMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 240 } },
  },
};
const branchFields = {
  code: { type: 'string', pattern: '^[A-Z0-9-]{2,20}$', examples: ['PROVIDENCIA'] },
  name: { type: 'string', minLength: 2, maxLength: 100 },
  region: { type: ['string', 'null'], maxLength: 100 },
  comuna: { type: ['string', 'null'], maxLength: 100 },
  address: { type: ['string', 'null'], maxLength: 200 },
  latitude: { type: ['number', 'null'], minimum: -90, maximum: 90 },
  longitude: { type: ['number', 'null'], minimum: -180, maximum: 180 },
  timezone: { type: 'string', description: 'IANA, p. ej. America/Santiago, America/Punta_Arenas, Pacific/Easter (por omisión TZ_BRANCH)' },
  hours,
  closingTime: { ...hhmm, description: 'Fin del día de una sucursal sin horario (por omisión BRANCH_CLOSING_TIME)' },
  closedDates: { type: 'array', items: { type: 'string', format: 'date' } },
  queues,
};
const branchResponse = { description: 'La sucursal, con hoursText y advisors (asesores activos)' };
const code = { name: 'code', in: 'path', required: true, schema: { type: 'string' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const advisorFields = {
  name: { type: 'string', minLength: 2, maxLength: 100 },
  email: { type: 'string', description: 'Único sin distinguir mayúsculas; se guarda en minúsculas' },
  branch: { type: 'string', description: 'Código de la sucursal' },
  moduleNumber: { type: 'integer', minimum: 1, maximum: 99 },
  queueTypes: { type: 'array', minItems: 1, items: { enum: [...QUEUE_TYPES] } },
};

export const newAdvisorOperation = {
  summary: 'Crea un asesor (OFFLINE hasta que se conecte); un SUPERVISOR solo en sus sucursales',
  security,
  requestBody: body({ type: 'object', additionalProperties: false, required: Object.keys(advisorFields), properties: advisorFields }),
  responses: {
    '201': { description: 'El asesor' },
    '400': errorRef('VALIDACION_FALLIDA con campos (también: la sucursal está desactivada)'),
    '404': errorRef('SUCURSAL_NO_ENCONTRADA'),
    '409': errorRef('EMAIL_EN_USO, MODULO_OCUPADO (otro asesor activo de la sucursal lo tiene) o COLA_NO_DISPONIBLE (la sucursal no ofrece esa cola; campos.queueTypes)'),
    ...denied,
  },
};

export function organisationPaths() {
  return {
    '/api/admin/branches': {
      get: {
        summary: 'Sucursales (un SUPERVISOR ve las suyas); q busca en código, nombre, comuna y región sin distinguir tildes ni mayúsculas',
        security,
        parameters: [
          { name: 'q', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'active', in: 'query', required: false, schema: { enum: ['true', 'false'] } },
        ],
        responses: { '200': { description: '{branches, total}' }, ...denied },
      },
      post: {
        summary: 'Crea una sucursal (ADMIN)',
        security,
        requestBody: body({ type: 'object', additionalProperties: false, required: ['code', 'name'], properties: branchFields }),
        responses: {
          '201': branchResponse,
          '400': errorRef('VALIDACION_FALLIDA con campos (código, zona horaria, horario, fechas, colas…)'),
          '409': errorRef('CODIGO_EN_USO o NOMBRE_EN_USO'),
          ...denied,
        },
      },
    },
    '/api/admin/branches/{code}': {
      get: { summary: 'Una sucursal', security, parameters: [code], responses: { '200': branchResponse, '404': errorRef('SUCURSAL_NO_ENCONTRADA'), ...denied } },
      patch: {
        summary: 'Modifica una sucursal (ADMIN): cualquier campo, también code y name (el cambio de nombre se propaga a su historia) y active',
        security,
        parameters: [code],
        requestBody: body({ type: 'object', additionalProperties: false, minProperties: 1, properties: { ...branchFields, active: { type: 'boolean' } } }),
        responses: {
          '200': branchResponse,
          '400': errorRef('VALIDACION_FALLIDA con campos'),
          '404': errorRef('SUCURSAL_NO_ENCONTRADA'),
          '409': errorRef('SUCURSAL_CON_TICKETS (active: false con tickets activos; ticketsActivos), CODIGO_EN_USO o NOMBRE_EN_USO'),
          ...denied,
        },
      },
    },
    '/api/admin/advisors/{id}': {
      patch: {
        summary: 'Modifica un asesor: nombre, email, sucursal (solo si no está atendiendo), módulo, colas',
        security,
        parameters: [id],
        requestBody: body({ type: 'object', additionalProperties: false, minProperties: 1, properties: advisorFields }),
        responses: {
          '200': { description: 'El asesor' },
          '400': errorRef('VALIDACION_FALLIDA con campos'),
          '404': errorRef('ASESOR_NO_ENCONTRADO o SUCURSAL_NO_ENCONTRADA'),
          '409': errorRef('ASESOR_ATENDIENDO (cambio de sucursal), EMAIL_EN_USO, MODULO_OCUPADO, COLA_NO_DISPONIBLE'),
          ...denied,
        },
      },
      delete: {
        summary: 'Desactiva un asesor: su historia queda, queda OFFLINE y nunca más se le asigna, se desvincula su Telegram',
        security,
        parameters: [id],
        responses: { '200': { description: 'El asesor (active: false)' }, '404': errorRef('ASESOR_NO_ENCONTRADO'), '409': errorRef('ASESOR_ATENDIENDO'), ...denied },
      },
    },
    '/api/admin/import': {
      post: {
        summary:
          'Importación masiva (ADMIN, SPEC §17): CSV UTF-8 separados por , o ; — branches: code,name,region,comuna,address,latitude,longitude,timezone,hours,queues; ' +
          'staff: email,name,branch_code,module_number,queues,role. Una sola transacción; repetirla no cambia nada',
        security,
        parameters: [
          { name: 'dryRun', in: 'query', required: false, schema: { enum: ['true', 'false'] }, description: 'Solo informa qué se crearía, actualizaría y desactivaría, y cada línea con error' },
          { name: 'deactivateMissing', in: 'query', required: false, schema: { enum: ['true', 'false'] }, description: 'Desactiva las sucursales y asesores que los archivos no nombran' },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: { branches: { type: 'string', format: 'binary' }, staff: { type: 'string', format: 'binary' } },
              },
            },
          },
        },
        responses: {
          '200': {
            description:
              '{dryRun, aplicada, sucursales: {crear, actualizar, desactivar, sinCambios, detalle}, personal: {…}, errores: [{archivo, linea, campo, mensaje}], ms}',
          },
          '400': errorRef('VALIDACION_FALLIDA (ningún archivo, campo desconocido, multipart inválido)'),
          '409': errorRef('EMAIL_EN_USO, MODULO_OCUPADO, NOMBRE_EN_USO: dos filas intercambian un módulo o un nombre (nada se escribió)'),
          '413': errorRef('CUERPO_DEMASIADO_GRANDE (más de 10 MB)'),
          '415': errorRef('TIPO_CONTENIDO_NO_SOPORTADO (no es multipart/form-data)'),
          '422': errorRef('IMPORTACION_CON_ERRORES: hay líneas con error; nada se escribió (el cuerpo trae el mismo informe)'),
          ...denied,
        },
      },
    },
    '/api/admin/advisors/{id}/reactivate': {
      post: {
        summary: 'Reactiva un asesor (OFFLINE hasta que se conecte)',
        security,
        parameters: [id],
        responses: { '200': { description: 'El asesor (active: true)' }, '404': errorRef('ASESOR_NO_ENCONTRADO'), '409': errorRef('MODULO_OCUPADO'), ...denied },
      },
    },
  };
}
