/** Every failure a user can cause has a stable code; doors map codes to HTTP statuses and bot replies. */
export const ERROR_CODES = {
  VALIDACION_FALLIDA: 400,
  NO_AUTORIZADO: 401,
  PROHIBIDO: 403,
  NO_ENCONTRADO: 404,
  TICKET_NO_ENCONTRADO: 404,
  ASESOR_NO_ENCONTRADO: 404,
  TICKET_ACTIVO_EXISTENTE: 409,
  TICKET_NO_CANCELABLE: 409,
  TRANSICION_INVALIDA: 409,
  // The service floor (SPEC §12)
  LLAMADOS_AGOTADOS: 409,
  RELLAMADO_MUY_PRONTO: 409,
  TICKET_NO_DISPONIBLE: 409,
  COLA_NO_DISPONIBLE: 409,
  EVALUACION_REGISTRADA: 409,
  CUERPO_DEMASIADO_GRANDE: 413,
  // SPEC §19: an Idempotency-Key reused with another request
  IDEMPOTENCIA_CONFLICTO: 422,
  // SPEC §19: the tótem's QR token or short code, opened in the bot
  ENLACE_NO_VALIDO: 404,
  ENLACE_YA_USADO: 409,
  ENLACE_VENCIDO: 410,
  TIPO_CONTENIDO_NO_SOPORTADO: 415,
  SERVICIO_NO_DISPONIBLE: 503,
  ERROR_INTERNO: 500,
  // SPEC §18: accounts, sign-in and who may do what
  CREDENCIALES_INVALIDAS: 401,
  SESION_EXPIRADA: 401,
  CODIGO_TOTP_INVALIDO: 401,
  CAMBIO_DE_CLAVE_REQUERIDO: 403,
  TOTP_REQUERIDO: 403,
  SUCURSAL_NO_AUTORIZADA: 403,
  ROL_NO_AUTORIZADO: 403,
  ORIGEN_NO_PERMITIDO: 403,
  CUENTA_NO_ENCONTRADA: 404,
  EMAIL_EN_USO: 409,
  DEMASIADOS_INTENTOS: 429,
  // SPEC §14
  PERSONA_NO_ENCONTRADA: 404,
  // Branches and staff (SPEC §17)
  SUCURSAL_CERRADA: 409,
  SUCURSAL_NO_ENCONTRADA: 404,
  SUCURSAL_CON_TICKETS: 409,
  CODIGO_EN_USO: 409,
  NOMBRE_EN_USO: 409,
  MODULO_OCUPADO: 409,
  ASESOR_ATENDIENDO: 409,
  // SPEC §17: a real import run refused because lines are bad (the answer names each one)
  IMPORTACION_CON_ERRORES: 422,
  DATO_CIFRADO_ILEGIBLE: 500,
  // SPEC §22: what one Telegram chat may do
  LIMITE_TICKETS_CHAT: 429,
  LIMITE_RUT_CHAT: 429,
  // OpenID Connect sign-in (SPEC §18 staff, SPEC §22 a customer's verified RUT)
  SSO_NO_CONFIGURADO: 404,
  SSO_RESPUESTA_INVALIDA: 400,
  SSO_SIN_CUENTA: 403,
  SSO_SIN_ROL: 403,
  PROVEEDOR_NO_DISPONIBLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type FieldErrors = Record<string, string>;

/** An empty error map with no prototype: a field named `__proto__` is recorded like any other. */
export function fieldErrors(): FieldErrors {
  return Object.create(null) as FieldErrors;
}

/** Text a person or a kiosk may send: no control characters (PostgreSQL rejects NUL outright). */
export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value);
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export class ValidationError extends DomainError {
  constructor(readonly campos: FieldErrors) {
    super('VALIDACION_FALLIDA', 'Los datos enviados no son válidos', { campos });
    this.name = 'ValidationError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** SPEC §17: "La sucursal abre el lunes a las 09:00"; `abre` is the ISO instant. */
export function branchClosedError(branchOffice: string, opensAt: { weekday: string; time: string; iso: string } | null): DomainError {
  return new DomainError(
    'SUCURSAL_CERRADA',
    opensAt ? `La sucursal abre el ${opensAt.weekday} a las ${opensAt.time}` : `La sucursal ${branchOffice} no tiene horario de atención próximo`,
    { abre: opensAt?.iso ?? null },
  );
}

/** SPEC §17: a queue the branch does not offer. */
export function queueNotOfferedError(branchOffice: string, queueLabel: string): DomainError {
  return new DomainError('COLA_NO_DISPONIBLE', `La sucursal ${branchOffice} no atiende ${queueLabel}`);
}
