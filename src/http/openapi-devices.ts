/** SPEC §17, §19: a branch's devices (tótems and screens) and their tokens, for src/http/openapi.ts. */

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const printer = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['host'],
      properties: { host: { type: 'string', description: 'Nombre o IP de la impresora ESC/POS' }, port: { type: 'integer', minimum: 1, maximum: 65535, default: 9100 } },
    },
    { type: 'null' },
  ],
};

export const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { enum: ['KIOSK', 'SCREEN'] },
    name: { type: 'string' },
    branch: { type: 'string', description: 'Código de la sucursal' },
    branchName: { type: 'string' },
    tokenPrefix: { type: 'string', description: 'Primeros caracteres del token (tk_kiosk_AbCd), para reconocerlo' },
    printer: { oneOf: [{ type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } }, { type: 'null' }] },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: ['string', 'null'], format: 'date-time', description: 'Último uso (se anota a lo más una vez por minuto)' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    active: { type: 'boolean' },
  },
};

export function devicePaths() {
  const security = [{ admin: [] }, { session: [] }];
  const denied = {
    '401': error('Sin sesión ni credencial (NO_AUTORIZADO)'),
    '403': error('ROL_NO_AUTORIZADO (solo ADMIN crea o edita), SUCURSAL_NO_AUTORIZADA (un SUPERVISOR fuera de sus sucursales) u ORIGEN_NO_PERMITIDO'),
  };
  const device = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Device' } } } };
  const code = { name: 'code', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Z0-9-]{2,20}$' } };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
  return {
    '/api/admin/branches/{code}/devices': {
      get: {
        summary: 'Dispositivos de la sucursal (tótems y pantallas), sin sus tokens; ADMIN o SUPERVISOR de la sucursal',
        security,
        parameters: [code],
        responses: {
          '200': { description: '{devices: Device[]}: activos primero' },
          '404': error('SUCURSAL_NO_ENCONTRADA'),
          ...denied,
        },
      },
      post: {
        summary: 'Crea un dispositivo (solo ADMIN); el token (tk_kiosk_… / tk_screen_…) se muestra una sola vez y se guarda su SHA-256',
        security,
        parameters: [code],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['kind', 'name'],
                properties: { kind: { enum: ['KIOSK', 'SCREEN'] }, name: { type: 'string', maxLength: 100 }, printer: { ...printer, description: 'Solo KIOSK (SPEC §19)' } },
              },
            },
          },
        },
        responses: {
          '201': { description: 'El dispositivo y `token` (una sola vez)', content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Device' }, { type: 'object', properties: { token: { type: 'string' } } }] } } } },
          '400': error('VALIDACION_FALLIDA (campo por campo)'),
          '404': error('SUCURSAL_NO_ENCONTRADA'),
          ...denied,
        },
      },
    },
    '/api/admin/devices/{id}': {
      patch: {
        summary: 'Cambia el nombre o la impresora de un tótem (solo ADMIN): {name?, printer: {host, port} | null}',
        security,
        parameters: [id],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 }, printer } } } },
        },
        responses: {
          '200': { description: 'El dispositivo', ...device },
          '400': error('VALIDACION_FALLIDA'),
          '404': error('NO_ENCONTRADO'),
          '409': error('TRANSICION_INVALIDA: el dispositivo está revocado'),
          ...denied,
        },
      },
      delete: {
        summary: 'Revoca el dispositivo: su token deja de servir de inmediato en todas las instancias; ADMIN o SUPERVISOR de la sucursal',
        security,
        parameters: [id],
        responses: { '200': { description: 'El dispositivo, revocado (revocar de nuevo no cambia nada)', ...device }, '404': error('NO_ENCONTRADO'), ...denied },
      },
    },
  };
}
