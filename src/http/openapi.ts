import { QUEUE_TYPES } from '../domain/queue-types.js';
import { TICKET_STATUSES } from '../domain/ticket-status.js';
import { devicePaths, deviceSchema } from './openapi-devices.js';
import { newAdvisorOperation, organisationPaths } from './openapi-organisation.js';
import { reportPaths } from './openapi-reports.js';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** SPEC §22: live streams beyond SCREEN_STREAMS_MAX or SCREEN_STREAMS_PER_IP. */
const streamsFull = {
  ...error('Demasiadas conexiones en vivo (SERVICIO_NO_DISPONIBLE), en total o desde esta IP; reintentar tras `Retry-After` segundos'),
  headers: { 'Retry-After': { schema: { type: 'integer' } } },
};

/** A page: HTML, or a redirect to /ingresar (303) for the signed-out. */
const page = {
  '200': { description: 'La página', content: { 'text/html': { schema: { type: 'string' } } } },
  '303': { description: 'Sin sesión: a /ingresar' },
};

/** The contract other programs build against (SPEC §7). */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Ticketero',
    version: '1.0.0',
    description: 'Fila digital de sucursales: API del tótem (kiosk), de supervisión y de salud.',
  },
  components: {
    securitySchemes: {
      kiosk: { type: 'http', scheme: 'bearer', description: 'El token de un tótem (tk_kiosk_…, de su sucursal; SPEC §17), un token de integración KIOSK o KIOSK_API_KEY (todas las sucursales)' },
      admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY (emergencia) o un token de integración tk_api_… (SPEC §18)' },
      session: { type: 'apiKey', in: 'cookie', name: '__Host-ticketero', description: 'Sesión de una persona (ticketero en http://127.0.0.1)' },
      metrics: { type: 'http', scheme: 'bearer', description: 'METRICS_API_KEY' },
    },
    schemas: {
      Device: deviceSchema,
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'string', description: 'Código estable, p. ej. VALIDACION_FALLIDA, TICKET_ACTIVO_EXISTENTE' },
          mensaje: { type: 'string' },
          campos: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
  paths: {
    // GET /api/admin/advisors is generated with the admin routes (src/http/routes/admin.ts); the merge keeps both.
    '/api/admin/advisors': { post: newAdvisorOperation },
    ...staffPlanPaths(),
    ...personasPaths(),
    ...accountPaths(),
    ...devicePaths(),
    ...organisationPaths(),
    ...reportPaths(),
    '/telegram/webhook': {
      post: {
        summary: 'Updates de Telegram (BOT_MODE=webhook); exige X-Telegram-Bot-Api-Secret-Token; cuerpo de hasta 1 MB',
        responses: {
          '200': { description: 'procesado' },
          '400': error('El cuerpo no es un objeto JSON (VALIDACION_FALLIDA)'),
          '401': { description: 'secreto inválido' },
          '413': error('Más de 1 MB (CUERPO_DEMASIADO_GRANDE)'),
        },
      },
    },
    '/api/health': {
      get: {
        summary: 'Salud: 200 si la base de datos responde, 503 si no',
        responses: { '200': { description: 'ok' }, '503': error('Base de datos no disponible') },
      },
    },
    '/openapi.json': { get: { summary: 'Este documento (OpenAPI 3.1)', responses: { '200': { description: 'El documento', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    // The pages (HTML) and their assets: each sends the signed-out to /ingresar; their data is the API above
    '/static/{name}': {
      get: {
        summary: 'Archivos de las páginas (CSS, JavaScript)',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'El archivo' }, '404': error('No existe') },
      },
    },
    '/pantalla': { get: { summary: 'La pantalla de la sala de espera (SPEC §17)', responses: page } },
    '/totem': { get: { summary: 'El tótem (SPEC §19); sus datos llegan con la credencial del tótem', responses: page } },
    '/ingresar': { get: { summary: 'Inicio de sesión del personal (SPEC §18)', responses: page } },
    '/escritorio': { get: { summary: 'El escritorio del asesor (SPEC §18)', responses: page } },
    '/supervisor': { get: { summary: 'El panel del supervisor (SPEC RF-007); llama a /api/admin/* con la sesión', responses: page } },
    '/supervisor/reportes': { get: { summary: 'Los informes (SPEC §20); llama a /api/admin/reports/* con la sesión', responses: page } },
    '/supervisor/vendor/echarts.min.js': {
      get: { summary: 'ECharts, servido desde node_modules (sin CDN)', responses: { '200': { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } } },
    },
    // Operations (SPEC §15)
    '/metrics': {
      get: {
        summary: 'Métricas Prometheus (texto). Bearer METRICS_API_KEY; sin clave, abierto solo si la app escucha en loopback',
        security: [{ metrics: [] }, {}],
        responses: {
          '200': { description: 'Formato de exposición de Prometheus', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': error('Falta la clave de métricas o no es válida (NO_AUTORIZADO)'),
          '403': error('METRICS_API_KEY no definida y la app no escucha en loopback (METRICAS_SIN_CLAVE)'),
        },
      },
    },
  },
} as const;

/** SPEC §13: advisors' planned hours (shifts and planned breaks per day). */
function staffPlanPaths() {
  const hhmm = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' };
  const plan = {
    type: 'object',
    additionalProperties: false,
    required: ['shifts', 'breaks'],
    properties: {
      shifts: {
        type: 'array',
        maxItems: 6,
        items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: hhmm, to: hhmm } },
      },
      breaks: {
        type: 'array',
        maxItems: 10,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'minutes'],
          properties: { from: hhmm, minutes: { type: 'integer', minimum: 1, maximum: 240 } },
        },
      },
    },
  };
  const parameters = [
    { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
    { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: 'día de la sucursal; hoy por defecto' },
  ];
  const answer = {
    description: 'Plan del día: {advisorId, date, shifts, breaks, planned}',
    content: { 'application/json': { schema: plan } },
  };
  return {
    '/api/admin/advisors/{id}/plan': {
      get: {
        summary: 'Horario planificado de un asesor en un día (turnos y pausas planificadas, hora de la sucursal)',
        security: [{ admin: [] }],
        parameters,
        responses: { '200': answer, '400': error('VALIDACION_FALLIDA'), '401': error('Falta la clave'), '404': error('ASESOR_NO_ENCONTRADO') },
      },
      put: {
        summary: 'Reemplaza el horario planificado del día (listas vacías lo borran); lo usa el estimador de espera',
        security: [{ admin: [] }],
        parameters,
        requestBody: { required: true, content: { 'application/json': { schema: plan } } },
        responses: { '200': answer, '400': error('VALIDACION_FALLIDA'), '401': error('Falta la clave'), '404': error('ASESOR_NO_ENCONTRADO') },
      },
    },
  };
}

/** SPEC §14: the holder's rights under Ley 21.719, by RUT (any spelling: 12.345.678-5, 12345678-5, 123456785, k/K). */
function personasPaths() {
  const admin = [{ admin: [] }];
  const rut = { name: 'rut', in: 'path', required: true, schema: { type: 'string', examples: ['12.345.678-5'] } };
  const motivo = { name: 'motivo', in: 'query', required: true, schema: { type: 'string', minLength: 10, maxLength: 500 }, description: 'Por qué (SPEC §18), guardado en la auditoría' };
  const common = {
    '400': error('RUT inválido o falta el motivo (VALIDACION_FALLIDA, campos.rut / campos.motivo)'),
    '403': error('Sin TOTP verificado (TOTP_REQUERIDO), o la persona no tiene tickets en tus sucursales (SUCURSAL_NO_AUTORIZADA)'),
    '401': error('Falta la clave de administración'),
    '404': error('No hay datos de esa persona (PERSONA_NO_ENCONTRADA)'),
    '500': error('Un dato guardado no se puede descifrar (DATO_CIFRADO_ILEGIBLE, con keyId y motivo; nunca el dato)'),
  };
  return {
    '/api/admin/personas/{rut}': {
      get: {
        summary: 'Exporta lo que se guarda de una persona (RUT, chats de Telegram, teléfonos, tickets), descifrado; auditado DATOS_EXPORTADOS con el RUT enmascarado',
        security: admin,
        parameters: [rut, motivo],
        responses: {
          '200': {
            description: 'Datos de la persona',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['nationalId', 'telegram', 'tickets', 'exportedAt'],
                  properties: {
                    nationalId: { type: 'string', examples: ['12345678-5'] },
                    telegram: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          chatId: { type: 'integer' },
                          name: { type: ['string', 'null'] },
                          phone: { type: ['string', 'null'] },
                          createdAt: { type: 'string', format: 'date-time' },
                          updatedAt: { type: 'string', format: 'date-time' },
                        },
                      },
                    },
                    tickets: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          identificador: { type: 'string', format: 'uuid' },
                          numero: { type: 'string' },
                          branchOffice: { type: 'string' },
                          queueType: { enum: [...QUEUE_TYPES] },
                          status: { enum: [...TICKET_STATUSES] },
                          telefono: { type: ['string', 'null'] },
                          moduleNumber: { type: ['integer', 'null'] },
                          createdAt: { type: 'string', format: 'date-time' },
                          assignedAt: { type: ['string', 'null'], format: 'date-time' },
                          completedAt: { type: ['string', 'null'], format: 'date-time' },
                        },
                      },
                    },
                    exportedAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          ...common,
        },
      },
      delete: {
        summary:
          'Borra los datos de una persona: cancela su ticket activo, desvincula sus chats y deja sus tickets como cifras anónimas; auditado DATOS_ELIMINADOS con el RUT enmascarado',
        security: admin,
        parameters: [rut, motivo],
        responses: {
          '200': {
            description: 'Borrado',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    chatsUnlinked: { type: 'integer' },
                    ticketsAnonymised: { type: 'integer' },
                    ticketsCancelled: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
          '409': error('Un ticket de la persona está siendo atendido (TICKET_NO_CANCELABLE)'),
          ...common,
        },
      },
    },
  };
}

/** SPEC §18: sign-in, accounts and integration tokens. */
function accountPaths() {
  const admin = [{ admin: [] }, { session: [] }];
  const session = [{ session: [] }];
  const json = (properties: Record<string, unknown>, required: string[]) => ({
    required: true,
    content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required, properties } } },
  });
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
  const roles = ['ADMIN', 'SUPERVISOR', 'ASESOR', 'AUDITOR'];
  const denied = {
    '401': error('Sin sesión ni credencial (NO_AUTORIZADO)'),
    '403': error('ROL_NO_AUTORIZADO, SUCURSAL_NO_AUTORIZADA, CAMBIO_DE_CLAVE_REQUERIDO, TOTP_REQUERIDO u ORIGEN_NO_PERMITIDO (CSRF)'),
  };
  return {
    '/api/auth/login': {
      post: {
        summary: 'Ingreso con email y clave (y código TOTP si está activo); deja la cookie de sesión',
        requestBody: json({ email: { type: 'string' }, password: { type: 'string' }, totp: { type: 'string', pattern: '^\\d{6}$' } }, ['email', 'password']),
        responses: {
          '200': { description: 'La persona (GET /api/auth/me)' },
          '401': error('CREDENCIALES_INVALIDAS o CODIGO_TOTP_INVALIDO'),
          '403': error('TOTP_REQUERIDO (falta el código) u ORIGEN_NO_PERMITIDO'),
          '429': error('DEMASIADOS_INTENTOS: cinco fallos en 15 min bloquean la cuenta 15 min; también por IP (Retry-After)'),
        },
      },
    },
    '/api/auth/logout': { post: { summary: 'Cierra esta sesión', security: session, responses: { '200': { description: 'Sesión cerrada' }, ...denied } } },
    '/api/auth/me': { get: { summary: 'Quién soy: rol, sucursales, si debo cambiar la clave o activar TOTP', security: session, responses: { '200': { description: 'La persona' }, ...denied } } },
    '/api/auth/password': {
      post: {
        summary: 'Cambia la clave (12+ caracteres, no entre las 10.000 más usadas); cierra las demás sesiones',
        security: session,
        requestBody: json({ current: { type: 'string' }, new: { type: 'string', minLength: 12 } }, ['current', 'new']),
        responses: { '200': { description: 'Clave cambiada; nueva cookie' }, '400': error('VALIDACION_FALLIDA (campos.new)'), ...denied },
      },
    },
    '/api/auth/totp/enroll': {
      post: { summary: 'Pide un secreto TOTP nuevo: {secret, otpauthUrl, qrSvg}', security: session, responses: { '200': { description: 'Secreto y QR' }, ...denied } },
    },
    '/api/auth/totp/confirm': {
      post: {
        summary:
          'Activa TOTP con un código válido; en una sesión abierta con la cuenta del banco (OIDC) de una cuenta con TOTP, verifica el código y la sesión queda verificada (hasta entonces todo lo demás responde 403 TOTP_REQUERIDO)',
        security: session,
        requestBody: json({ code: { type: 'string', pattern: '^\\d{6}$' } }, ['code']),
        responses: { '200': { description: 'TOTP activo o sesión verificada' }, ...denied, '401': error('CODIGO_TOTP_INVALIDO o sin sesión'), '429': error('DEMASIADOS_INTENTOS') },
      },
    },
    '/api/auth/sso': {
      get: {
        summary: 'Si el ingreso con la cuenta del banco (OpenID Connect, SPEC §18) está habilitado: {disponible}',
        responses: { '200': { description: '{disponible: boolean}' } },
      },
    },
    '/api/auth/sso/start': {
      get: {
        summary:
          'Comienza el ingreso con la cuenta del banco: redirige al proveedor de identidad (código de autorización con PKCE S256, state y nonce) y deja una cookie que ata el regreso a este navegador (10 min)',
        parameters: [{ name: 'volver', in: 'query', required: false, schema: { type: 'string', pattern: '^/[A-Za-z0-9/_-]*$' }, description: 'Página de esta app a la que volver' }],
        responses: {
          '303': { description: 'Al proveedor de identidad' },
          '404': { description: 'Página: el ingreso con la cuenta del banco no está habilitado (sin OIDC_ISSUER)' },
          '503': { description: 'Página: el proveedor de identidad no responde' },
        },
      },
    },
    '/verificar-rut/{token}': {
      get: {
        summary:
          'Verificar mi RUT (SPEC §22): el enlace de un solo uso que el bot envió a un chat (15 min); lo gasta y redirige al proveedor de identidad del cliente (PKCE, state, nonce; cookie que ata el regreso a este navegador)',
        parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } }],
        responses: {
          '303': { description: 'Al proveedor de identidad' },
          '404': { description: 'Página: enlace no válido (o verificación no habilitada)' },
          '409': { description: 'Página: enlace ya usado' },
          '410': { description: 'Página: enlace vencido' },
          '503': { description: 'Página: PROVEEDOR_NO_DISPONIBLE' },
        },
      },
    },
    '/verificar-rut/callback': {
      get: {
        summary:
          'Regreso del proveedor de identidad del cliente: valida state, iss, código (PKCE) e ID token; lee el RUT del claim CUSTOMER_OIDC_RUT_CLAIM; ese chat pasa a tener todos los tickets del RUT (solo un chat por RUT verificado: el anterior lo pierde y se le avisa)',
        parameters: [
          { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'iss', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: 'Página: RUT verificado (el chat recibe un aviso)' },
          '400': { description: 'Página: SSO_RESPUESTA_INVALIDA' },
          '403': { description: 'Página: el proveedor no entregó un RUT válido' },
          '404': { description: 'Página: no habilitado' },
          '503': { description: 'Página: PROVEEDOR_NO_DISPONIBLE' },
        },
      },
    },
    '/api/auth/sso/callback': {
      get: {
        summary:
          'Regreso del proveedor de identidad: valida state (una vez, este navegador, 10 min), iss, el código con el verificador PKCE y el ID token (firma, emisor, audiencia, nonce); abre la sesión de la cuenta con ese email (o la crea con OIDC_AUTO_PROVISION=true si el claim de rol corresponde a un rol)',
        parameters: [
          { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'iss', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '303': { description: 'Sesión abierta (cookie): a la página pedida o a la del rol; a /ingresar si falta activar o ingresar el código TOTP' },
          '400': { description: 'Página: SSO_RESPUESTA_INVALIDA (state alterado, vencido o ya usado, otro navegador, código repetido, emisor equivocado, access_denied)' },
          '403': { description: 'Página: SSO_SIN_CUENTA (sin cuenta con ese email, cuenta desactivada, email no verificado) o SSO_SIN_ROL (el claim no corresponde a un rol)' },
          '404': { description: 'Página: no habilitado' },
          '503': { description: 'Página: PROVEEDOR_NO_DISPONIBLE' },
        },
      },
    },
    '/api/admin/accounts': {
      get: { summary: 'Cuentas (un SUPERVISOR ve las ASESOR de sus sucursales)', security: admin, responses: { '200': { description: 'Cuentas' }, ...denied } },
      post: {
        summary: 'Crea una cuenta; responde la clave inicial una sola vez (se cambia al primer ingreso)',
        security: admin,
        requestBody: json(
          { email: { type: 'string' }, name: { type: 'string' }, role: { enum: roles }, branches: { type: 'array', items: { type: 'string' } }, advisorId: { type: 'integer' } },
          ['email', 'name', 'role'],
        ),
        responses: { '201': { description: 'Cuenta y initialPassword' }, '409': error('EMAIL_EN_USO'), ...denied },
      },
    },
    '/api/admin/accounts/{id}': {
      patch: {
        summary: 'Modifica nombre, rol, sucursales, asesor o reactiva (active: true)',
        security: admin,
        parameters: [id],
        requestBody: json({ name: { type: 'string' }, role: { enum: roles }, branches: { type: 'array', items: { type: 'string' } }, advisorId: { type: ['integer', 'null'] }, active: { const: true } }, []),
        responses: { '200': { description: 'Cuenta' }, '404': error('CUENTA_NO_ENCONTRADA'), ...denied },
      },
      delete: { summary: 'Desactiva la cuenta: sus sesiones mueren al instante', security: admin, parameters: [id], responses: { '200': { description: 'Cuenta' }, ...denied } },
    },
    '/api/admin/accounts/{id}/revoke-sessions': {
      post: { summary: 'Cierra todas las sesiones de la cuenta', security: admin, parameters: [id], responses: { '200': { description: '{revoked}' }, ...denied } },
    },
    '/api/admin/tokens': {
      get: { summary: 'Tokens de integración (sin el token)', security: admin, responses: { '200': { description: 'Tokens' }, ...denied } },
      post: {
        summary: 'Crea un token de integración; se muestra una sola vez, se guarda su SHA-256',
        security: admin,
        requestBody: json(
          { name: { type: 'string' }, role: { enum: ['ADMIN', 'SUPERVISOR', 'AUDITOR', 'KIOSK'] }, branches: { type: 'array', items: { type: 'string' } }, expiresAt: { type: ['string', 'null'], format: 'date-time' } },
          ['name', 'role'],
        ),
        responses: { '201': { description: 'Token (una sola vez)' }, ...denied },
      },
    },
    '/escritorio/api/estado': {
      get: { summary: 'El escritorio del ASESOR: su cliente actual (RUT enmascarado), su estado, la fila de su sucursal', security: session, responses: { '200': { description: 'Estado' }, ...denied } },
    },
    '/escritorio/api/stream': {
      get: {
        summary: 'El mismo estado en vivo (SSE, evento `estado`)',
        security: session,
        responses: { '200': { description: 'text/event-stream' }, '503': streamsFull, ...denied },
      },
    },
    '/pantalla/stream': {
      get: {
        summary: 'La pantalla de sala de espera en vivo (SSE, eventos `snapshot` y `called`; sin datos personales, sin clave)',
        parameters: [{ name: 'branch', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'text/event-stream' }, '404': error('No existe la sucursal'), '503': streamsFull },
      },
    },
    '/escritorio/api/{action}': {
      post: {
        summary:
          'Acción del escritorio: llego, volver-a-llamar, completar, no-se-presento, transferir {queueType|advisorId}, llamar {numero, reason}, pausa {reason}, disponible, desconectado, vincular-telegram',
        security: session,
        parameters: [{ name: 'action', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'Estado después de la acción' }, '201': { description: 'vincular-telegram: {code, expiresAt, instrucciones}' }, '409': error('La acción no corresponde ahora (TRANSICION_INVALIDA, …)'), ...denied },
      },
    },
    '/api/admin/tokens/{id}': { delete: { summary: 'Revoca el token', security: admin, parameters: [id], responses: { '200': { description: 'Revocado' }, ...denied } } },
  };
}
